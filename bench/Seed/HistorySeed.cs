using JasperFx.Events;
using Marten;
using Marten.Events;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Images;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Bench.Seed;

/// <summary>
/// A year of made-up but valid history for benchmarks: accounts sign up and log in, change their
/// email or password; instances are registered (CPU, or GPU from the catalog), renamed, repriced,
/// started and stopped, come online and go offline (the service's own silence checks, as
/// <c>system</c>), install and remove catalog images that suit them, and some are deleted. The
/// accounts have no credentials: they are there to be replayed and exported, not to log in. Events
/// carry the metadata the API writes (actor, owner, request, correlation id) and times cut to the
/// microsecond, in time order across streams, so sequence order is time order as in a real log.
/// Written with Marten's bulk COPY import in one transaction (no inline projections on the way);
/// the read models are rebuilt afterwards.
/// </summary>
public sealed class HistorySeed(int accounts, int instances, long events, int randomSeed)
{
    private static readonly TimeSpan Span = TimeSpan.FromDays(365);
    private readonly Random _random = new(randomSeed);
    private readonly Gpu[] _gpus = GpuCatalog.All.OrderBy(g => g.Name, StringComparer.Ordinal).ToArray();
    private readonly Image[] _cpuImages = ImageCatalog.All.Where(i => !i.RequiresGpu).ToArray();
    private readonly Image[] _gpuImages = ImageCatalog.All.Where(i => i.RequiresGpu).ToArray();

    public static string? Problem(int accounts, int instances, long events) =>
        accounts < 1 ? "--accounts must be at least 1." :
        instances < 0 ? "--instances must not be negative." :
        events < accounts + (long)instances
            ? $"--events must be at least --accounts + --instances ({accounts + (long)instances}): every account and instance starts with its registration."
            : null;

    /// <summary>One stream's plan and state while its history is written.</summary>
    private sealed class Stream
    {
        public required Guid Id { get; init; }
        public required bool IsInstance { get; init; }
        public required Account Owner { get; init; }
        public required int Number { get; init; }
        public DateTimeOffset Registered { get; set; }
        public DateTimeOffset Last { get; set; }
        public long Count { get; set; } = 1;
        public long Version { get; set; }
        public bool EndsDeleted { get; set; }
        public Instance? State { get; set; }
        public bool RotatesKeyNext { get; set; }
    }

    private sealed record Account(Guid Id, string Username);

    public async Task<long> WriteAsync(IDocumentStore store, IProgress<long> progress, CancellationToken ct)
    {
        var end = EventClock.ToMicrosecond(DateTimeOffset.UtcNow.AddHours(-1));
        var start = end - Span;
        var streams = Plan(start, end);
        var headers = streams.Select(s => new BulkEventStreamHeader
        {
            Id = s.Id,
            Version = s.Count,
            AggregateType = s.IsInstance ? typeof(Instance) : typeof(Domain.Accounts.Account),
        }).ToList();
        long written = 0;
        await ((DocumentStore)store).BulkInsertEventStreamAsync("*DEFAULT*", headers,
            Generate(streams, end, () => { if (++written % 4096 == 0) progress.Report(written); }, ct),
            batchSize: 5000, cancellation: ct);
        progress.Report(written);
        return written;
    }

    private List<Stream> Plan(DateTimeOffset start, DateTimeOffset end)
    {
        var owners = new List<Stream>(accounts);
        for (var i = 0; i < accounts; i++)
        {
            var id = Guid.CreateVersion7();
            var registered = start + (end - start) * 0.6 * _random.NextDouble();
            owners.Add(new Stream
            {
                Id = id, IsInstance = false, Owner = new Account(id, $"bench{i:D6}"), Number = i,
                Registered = registered, Last = registered,
            });
        }
        var machines = new List<Stream>(instances);
        for (var i = 0; i < instances; i++)
        {
            var owner = owners[_random.Next(owners.Count)];
            var registered = owner.Registered + (end - owner.Registered) * 0.5 * _random.NextDouble();
            machines.Add(new Stream
            {
                Id = Guid.CreateVersion7(), IsInstance = true, Owner = owner.Owner, Number = i,
                Registered = registered, Last = registered,
            });
        }
        // The rest of the events: nine in ten happen to instances (presence, start/stop, edits).
        var extra = events - accounts - instances;
        for (long n = 0; n < extra; n++)
        {
            var pool = machines.Count > 0 && _random.Next(10) < 9 ? machines : owners;
            pool[_random.Next(pool.Count)].Count++;
        }
        foreach (var machine in machines) machine.EndsDeleted = machine.Count > 2 && _random.Next(20) == 0;
        return [.. owners, .. machines];
    }

    private async IAsyncEnumerable<IEvent> Generate(
        List<Stream> streams, DateTimeOffset end, Action written,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // Every stream's next event, earliest first: the log comes out in time order.
        var due = new PriorityQueue<Stream, DateTimeOffset>(streams.Select(s => (s, s.Registered)));
        while (due.TryDequeue(out var stream, out var at))
        {
            ct.ThrowIfCancellationRequested();
            stream.Version++;
            yield return Next(stream, EventClock.ToMicrosecond(at));
            written();
            var remaining = stream.Count - stream.Version;
            if (remaining == 0) continue;
            // The next of `remaining` sorted uniform times in (at, end).
            var next = at + (end - at) * (1 - Math.Pow(_random.NextDouble(), 1.0 / remaining));
            stream.Last = next > at ? next : at + TimeSpan.FromMicroseconds(1);
            due.Enqueue(stream, stream.Last);
        }
        await Task.CompletedTask;
    }

    private IEvent Next(Stream stream, DateTimeOffset at)
    {
        if (!stream.IsInstance) return AccountEvent(stream, at);
        if (stream.Version == 1)
        {
            var gpu = _random.Next(10) < 3 ? _gpus[_random.Next(_gpus.Length)] : null;
            var registered = new InstanceRegistered(stream.Id, stream.Owner.Id, $"machine-{stream.Number}",
                gpu is null ? InstanceType.Cpu : InstanceType.Gpu, gpu?.Uuid, Price(), _random.Next(1, 9));
            stream.State = Instance.Evolve(null, registered, at);
            return ByOwner(stream, registered, at, "POST", "/api/v1/instances/");
        }
        var state = stream.State!;
        var path = $"/api/v1/instances/{stream.Id}/";
        if (stream.EndsDeleted && stream.Version == stream.Count)
            return ByOwner(stream, new InstanceDeleted(stream.Id), at, "DELETE", path);

        var roll = _random.Next(100);
        object change;
        IEvent e;
        if (roll < 35)
        {
            if (state.IsOnline)
            {
                var lastContact = at - TimeSpan.FromSeconds(60);
                change = new InstanceWentOffline(stream.Id, lastContact > state.LastConnection ? lastContact : state.LastConnection!.Value);
                e = BySystem(stream, change, at);
            }
            else
            {
                change = new InstanceCameOnline(stream.Id, at);
                e = ByOwner(stream, change, at, "GET", path + "get-jobs/");
            }
        }
        else if (roll < 55)
        {
            change = state.Status == InstanceStatus.Available ? new InstanceStopped(stream.Id) : new InstanceStarted(stream.Id);
            e = ByOwner(stream, change, at, "PATCH", path + (change is InstanceStarted ? "start/" : "stop/"));
        }
        else if (roll < 67)
        {
            var suitable = state.Type == InstanceType.Gpu ? _gpuImages : _cpuImages;
            var image = suitable[_random.Next(suitable.Length)];
            change = state.DownloadedImages.Contains(image.RegistryPath)
                ? new InstanceImageRemoved(stream.Id, image.Uuid, image.RegistryPath)
                : new InstanceImageAdded(stream.Id, image.Uuid, image.RegistryPath);
            e = ByOwner(stream, change, at, "PATCH", path + (change is InstanceImageAdded ? "add-image/" : "delete-image/"));
        }
        else
        {
            change = roll switch
            {
                < 82 => new InstancePriceChanged(stream.Id, Price()),
                < 90 => new InstanceRenamed(stream.Id, $"machine-{stream.Number}-v{stream.Version}"),
                < 95 => new InstanceParallelismChanged(stream.Id, state.MaxNumParallelJobs % 8 + 1),
                < 98 when state.Type == InstanceType.Gpu =>
                    new InstanceGpuChanged(stream.Id, _gpus.First(g => g.Uuid != state.GpuId).Uuid),
                _ when state.DownloadedImages.Count == 0 => state.Type == InstanceType.Gpu
                    ? new InstanceTypeChanged(stream.Id, InstanceType.Cpu, null)
                    : new InstanceTypeChanged(stream.Id, InstanceType.Gpu, _gpus[_random.Next(_gpus.Length)].Uuid),
                _ => new InstancePriceChanged(stream.Id, Price()),
            };
            e = ByOwner(stream, change, at, "PATCH", path);
        }
        stream.State = Instance.Evolve(state, change, at);
        return e;
    }

    private IEvent AccountEvent(Stream stream, DateTimeOffset at)
    {
        var id = stream.Id;
        if (stream.Version == 1)
            return ByOwner(stream, new AccountRegistered(id, stream.Owner.Username, $"{stream.Owner.Username}@example.com"), at,
                "POST", "/api/v1/users/");
        if (stream.RotatesKeyNext)
        {
            stream.RotatesKeyNext = false;
            return ByOwner(stream, new AccountKeyRotated(id), at, "PATCH", "/api/v1/users/account/");
        }
        // A change of the account rotates its key, as the API does (the rotation is the stream's next event).
        var roll = _random.Next(100);
        if (roll < 90 || stream.Version == stream.Count)
            return ByOwner(stream, new AccountLoggedIn(id), at, "POST", "/api/v1/api-token-auth/");
        stream.RotatesKeyNext = true;
        return ByOwner(stream, roll < 95
                ? new AccountEmailChanged(id, $"{stream.Owner.Username}+{stream.Version}@example.com")
                : new AccountPasswordChanged(id), at, "PATCH", "/api/v1/users/account/");
    }

    private decimal Price() => _random.Next(1, 2001) / 1000m;

    private static IEvent ByOwner(Stream stream, object data, DateTimeOffset at, string method, string path)
    {
        var e = Wrap(stream, data, at);
        e.UserName = stream.Owner.Username;
        e.Headers = new Dictionary<string, object>
        {
            [RequestAudit.MethodHeader] = method,
            [RequestAudit.PathHeader] = path,
            [RequestAudit.ActorIdHeader] = stream.Owner.Id.ToString(),
            [RequestAudit.OwnerIdHeader] = stream.Owner.Id.ToString(),
        };
        return e;
    }

    private static IEvent BySystem(Stream stream, object data, DateTimeOffset at)
    {
        var e = Wrap(stream, data, at);
        e.UserName = RequestAudit.SystemActor;
        e.Headers = new Dictionary<string, object> { [RequestAudit.OwnerIdHeader] = stream.Owner.Id.ToString() };
        return e;
    }

    private static IEvent Wrap(Stream stream, object data, DateTimeOffset at)
    {
        IEvent e = data switch
        {
            InstanceRegistered d => new Event<InstanceRegistered>(d),
            InstanceRenamed d => new Event<InstanceRenamed>(d),
            InstancePriceChanged d => new Event<InstancePriceChanged>(d),
            InstanceTypeChanged d => new Event<InstanceTypeChanged>(d),
            InstanceGpuChanged d => new Event<InstanceGpuChanged>(d),
            InstanceParallelismChanged d => new Event<InstanceParallelismChanged>(d),
            InstanceStarted d => new Event<InstanceStarted>(d),
            InstanceStopped d => new Event<InstanceStopped>(d),
            InstanceCameOnline d => new Event<InstanceCameOnline>(d),
            InstanceWentOffline d => new Event<InstanceWentOffline>(d),
            InstanceImageAdded d => new Event<InstanceImageAdded>(d),
            InstanceImageRemoved d => new Event<InstanceImageRemoved>(d),
            InstanceDeleted d => new Event<InstanceDeleted>(d),
            AccountRegistered d => new Event<AccountRegistered>(d),
            AccountEmailChanged d => new Event<AccountEmailChanged>(d),
            AccountPasswordChanged d => new Event<AccountPasswordChanged>(d),
            AccountLoggedIn d => new Event<AccountLoggedIn>(d),
            AccountKeyRotated d => new Event<AccountKeyRotated>(d),
            _ => throw new ArgumentException($"not an event the seed writes: {data.GetType().Name}", nameof(data)),
        };
        e.Id = Guid.CreateVersion7(at);
        e.StreamId = stream.Id;
        e.Version = stream.Version;
        e.Timestamp = at;
        e.CorrelationId = Guid.NewGuid().ToString();
        return e;
    }
}
