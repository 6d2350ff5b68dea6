using Marten;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Accounts.Rules;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

/// <summary>
/// The account validators judge a request on its own; the checks that need stored accounts (username taken, a new
/// password's strength against the current account) otherwise run only once those pass. When a request is refused
/// for its fields, this adds the stored checks' failures to its errors, so that every failing field is listed at once,
/// as the API promises. The unique index on the username still decides races; this only completes the error list.
/// </summary>
public static class StoredAccountChecks
{
    /// <param name="caller">The account a change is for; null for a sign-up.</param>
    public static async Task<FieldErrorsException> CompleteAsync(FieldErrorsException refused, IQuerySession session,
        Field<string> username, Guid? caller, CancellationToken ct)
    {
        if (!username.IsPresent || username.Value.Length == 0 || refused.Errors.Items.ContainsKey("username")) return refused;
        var wanted = username.Value;
        var self = caller ?? Guid.Empty;
        if (!await session.Query<Account>().AnyAsync(x => x.Username == wanted && x.Id != self, ct)) return refused;
        var errors = FieldErrors.For("username", AccountRules.UsernameTaken);
        foreach (var (field, messages) in refused.Errors.Items)
            foreach (var message in messages) errors.Add(field, message);
        return new FieldErrorsException(errors);
    }

    /// <summary>For a change of account: also the new password's strength, as the change itself would judge it.</summary>
    public static async Task<FieldErrorsException> CompleteChangeAsync(FieldErrorsException refused, IQuerySession session,
        IPasswordHasher<AccountCredentials> hasher, Guid caller, Field<string> username, Field<string> email,
        Field<string> password, CancellationToken ct)
    {
        var completed = await CompleteAsync(refused, session, username, caller, ct);
        var failed = completed.Errors.Items;
        if (!password.IsPresent || password.Value.Length == 0 || failed.ContainsKey("password")) return completed;

        var account = await session.LoadAsync<Account>(caller, ct);
        var credentials = await session.LoadAsync<AccountCredentials>(caller, ct);
        if (account is null || credentials is null) return completed;
        // Sending the current password changes nothing, and is not judged (as in ChangeAccount.Decide).
        if (hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, password.Value) != PasswordVerificationResult.Failed)
            return completed;

        var effectiveUsername = username.IsPresent && !failed.ContainsKey("username") ? username.Value : account.Username;
        var effectiveEmail = email.IsPresent && !failed.ContainsKey("email") ? email.Value : account.Email;
        var weaknesses = PasswordRules.Validate(password.Value, effectiveUsername, effectiveEmail);
        if (weaknesses.Count == 0) return completed;
        var errors = new FieldErrors();
        foreach (var (field, messages) in failed)
            foreach (var message in messages) errors.Add(field, message);
        foreach (var weakness in weaknesses) errors.Add("password", weakness);
        return new FieldErrorsException(errors);
    }
}
