using Marten;
using Marten.Schema;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>
/// A machine's last contact never goes back. Polls write <c>last_connection</c> in place, without the instance's stream
/// lock, so a writer of the instance that loaded its document before a poll would store the older contact with its
/// upsert: a trigger on the instance table keeps the newer one. Only an update that would move the contact back runs
/// its function (the trigger's WHEN). The one decision that reads the contact, the silence check, reads it under the
/// document's row lock (<see cref="CheckSilenceHandler"/>), so its event records the contact as stored.
/// Created at start-up, after Marten's migrations; the live rebuild moves the live table's triggers to the new table.
/// </summary>
public sealed class LastContactGuard : IInitialData
{
    private const string Schema = MartenConfiguration.Schema;
    private const long MigrationLock = 0x5343_4C61_7374; // "SCLast"

    public const string FunctionSql =
        $"create or replace function {Schema}.keep_last_contact() returns trigger language plpgsql as $$ begin " +
        "new.data := jsonb_set(new.data, '{last_connection}', old.data -> 'last_connection'); return new; end $$";

    public const string TriggerSql =
        $"create or replace trigger keep_last_contact before update on {Schema}.mt_doc_instancedetails for each row " +
        "when ((old.data ->> 'last_connection')::timestamptz > " +
        "coalesce((new.data ->> 'last_connection')::timestamptz, '-infinity')) " +
        $"execute function {Schema}.keep_last_contact()";

    public Task Populate(IDocumentStore store, CancellationToken cancellation) =>
        StartupSql.ApplyAsync(store, MigrationLock, [FunctionSql, TriggerSql], cancellation);
}
