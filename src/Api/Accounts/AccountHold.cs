using Marten;
using Npgsql;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Accounts;

/// <summary>
/// A write that adds to an account (a new instance) holds the account for its transaction: a share lock on
/// the account's stream and read-model rows, which an account deletion takes exclusively. So a deletion
/// either sees the new instance or happens first, and then the write finds no account and fails. After
/// waiting for a deletion PostgreSQL re-reads only the rows it locks, and the deletion removes the read-model
/// row, hence both. The hold is a procedure called in the write's own batch: no round trip of its own. (A
/// procedure, not a function: it answers no result set, which Marten would take for the append's.)
/// </summary>
public sealed class AccountHold : Marten.Schema.IInitialData
{
    /// <summary>The SQLSTATE the procedure raises when the account does not exist (any more).</summary>
    public const string MissingState = "SC404";

    private const string Procedure = MartenConfiguration.Schema + ".hold_account";

    // Weasel manages functions, not procedures: the procedure is (re)created at start-up, after Marten's
    // migrations, under a transaction-scoped advisory lock so that API processes starting together take turns.
    private const string CreateSql = $"""
        CREATE OR REPLACE PROCEDURE {Procedure}(account uuid) LANGUAGE plpgsql AS $procedure$
        BEGIN
            PERFORM 1 FROM {MartenConfiguration.Schema}.mt_streams s
                JOIN {MartenConfiguration.Schema}.mt_doc_accountdetails a ON a.id = s.id
                WHERE s.id = account FOR SHARE OF s, a;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'account % does not exist', account USING ERRCODE = '{MissingState}';
            END IF;
        END;
        $procedure$
        """;

    private const long MigrationLock = 0x5343_686F_6C64; // "SCHold"

    public Task Populate(IDocumentStore store, CancellationToken cancellation) =>
        StartupSql.ApplyAsync(store, MigrationLock, [CreateSql], cancellation);

    /// <summary>Queues the hold into the session's next SaveChanges.</summary>
    public static void Queue(IDocumentSession session, Guid accountId) =>
        session.QueueSqlCommand($"call {Procedure}(?)", accountId);

    /// <summary>The write failed because its account does not exist.</summary>
    public static bool IsMissing(Exception exception) => DatabaseFaults.HasState(exception, MissingState);
}
