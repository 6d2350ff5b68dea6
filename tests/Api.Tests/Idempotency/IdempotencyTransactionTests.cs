using Marten;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using Sharedcloud.Es.Domain.Instances;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Idempotency;

/// <summary>
/// The key's record is written by the request's own write transaction (Marten listener), so it
/// exists exactly when the request's events do.
/// </summary>
public sealed class IdempotencyTransactionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private IDocumentStore Store => api.Services.GetRequiredService<IDocumentStore>();

    [Fact]
    public async Task A_write_under_a_claim_commits_the_record_without_a_response()
    {
        var key = NewKey();
        var instanceId = Guid.CreateVersion7();

        await WithClaimAsync(key, async () =>
        {
            await using var session = Store.LightweightSession();
            session.Events.StartStream<Instance>(instanceId, Registered(instanceId));
            await session.SaveChangesAsync();
        });

        var record = Assert.Single(await api.StoredKeysAsync(key));
        Assert.Null(record.Status);
        Assert.Equal(1, await api.EventCountAsync(instanceId.ToString()));
        // Rows written by one transaction carry its id.
        var sameTransaction = await api.QueryStringsAsync(
            $"select (k.xmin::text = s.xmin::text)::text from {IdempotencyStore.TableName} k, sharedcloud.mt_streams s " +
            $"where k.key = '{key}' and s.id = '{instanceId}'");
        Assert.Equal(["true"], sameTransaction);
    }

    [Fact]
    public async Task The_record_is_written_inside_the_write_transaction_and_rolls_back_with_it()
    {
        var key = NewKey();
        var instanceId = Guid.CreateVersion7();
        // Runs after the claim in the same batch: it fails only if it sees the record (so the claim ran
        // first, on this transaction's connection), and its failure rolls the transaction back, as a crash
        // before the commit would. (A queued command may hold one statement only, and return no rows.)
        var failAfterClaim = new QueueAtSave(
            $"update {IdempotencyStore.TableName} set status = ('claim seen, failing on purpose ' || key)::int where key = '{key}'");

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => WithClaimAsync(key, async () =>
        {
            await using var session = Store.LightweightSession(new SessionOptions().ListenAt(failAfterClaim));
            session.Events.StartStream<Instance>(instanceId, Registered(instanceId));
            await session.SaveChangesAsync();
        }));

        Assert.Contains("claim seen, failing on purpose", Flatten(failure));
        Assert.Empty(await api.StoredKeysAsync(key));
        Assert.Equal(0, await api.EventCountAsync(instanceId.ToString()));
    }

    [Fact]
    public async Task A_write_without_a_claim_writes_no_record()
    {
        var countRecords = $"select count(*) from {IdempotencyStore.TableName}";
        var before = await api.QueryStringsAsync(countRecords);
        var instanceId = Guid.CreateVersion7();
        await using var session = Store.LightweightSession();
        session.Events.StartStream<Instance>(instanceId, Registered(instanceId));
        await session.SaveChangesAsync();

        Assert.Equal(1, await api.EventCountAsync(instanceId.ToString()));
        Assert.Equal(before, await api.QueryStringsAsync(countRecords));
    }

    [Fact]
    public async Task A_request_that_writes_ends_with_its_response_on_the_record()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var created = (await john.PostWithKeyAsync(key, InstancesUrl, ("name", "box"), ("ask_price", "1"))).EnsureStatus(201);

        Assert.Equal(201, Assert.Single(await api.StoredKeysAsync(key)).Status);
        Assert.Equal([created.Body], await api.QueryStringsAsync(
            $"select convert_from(body, 'UTF8') from {IdempotencyStore.TableName} where key = '{key}'"));
        // The record was first written by the write's transaction: its created_at is that transaction's
        // now(), which the new stream's row took too (the response's upsert keeps created_at).
        Assert.Equal(["true"], await api.QueryStringsAsync(
            $"select (k.created_at = s.created)::text from {IdempotencyStore.TableName} k, sharedcloud.mt_streams s " +
            $"where k.key = '{key}' and s.id = '{Uuid(created.Object)}'"));
    }

    private static async Task WithClaimAsync(string key, Func<Task> write)
    {
        IdempotencyClaim.Current = new IdempotencyClaim(Guid.NewGuid(), key, new byte[32]);
        try
        {
            await write();
        }
        finally
        {
            IdempotencyClaim.Current = null;
        }
    }

    private static InstanceRegistered Registered(Guid id) =>
        new(id, Guid.NewGuid(), "direct", InstanceType.Cpu, null, 1m, 1);

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);

    private sealed class QueueAtSave(string sql) : DocumentSessionListenerBase
    {
        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
        {
            session.QueueSqlCommand(sql);
            return Task.CompletedTask;
        }
    }
}
