using Npgsql;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Accounts;

public static class Usernames
{
    /// <summary>The unique index on the username decides races between sign-ups and renames: the loser gets the field error.</summary>
    public static async Task<T> UnlessTaken<T>(Task<T> write)
    {
        try
        {
            return await write;
        }
        catch (Exception e) when (IsTaken(e))
        {
            throw new FieldErrorsException(FieldErrors.For("username", AccountRules.UsernameTaken));
        }
    }

    /// <summary>The unique index on the username refused the write: an answer to the client, not a fault.</summary>
    public static bool IsTaken(Exception e) => IsUniqueViolationOn(e, "username");

    private static bool IsUniqueViolationOn(Exception e, string column)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
                && (pg.ConstraintName ?? pg.MessageText).Contains(column, StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}
