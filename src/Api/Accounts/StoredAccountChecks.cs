using FluentValidation;
using FluentValidation.Results;
using Marten;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Accounts.Rules;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

/// <summary>
/// The account validators judge a request on its own; the checks that need stored accounts (username
/// taken, a new password's strength against the current account) otherwise run only once those pass.
/// When a validator refuses a request, this adds the stored checks' failures to its errors, so that every
/// failing field is listed at once, as the API promises. The unique index on the username still decides
/// races; this only completes the error list.
/// </summary>
public static class StoredAccountChecks
{
    public static async Task<ValidationException> CompleteAsync(ValidationException refused, IQuerySession session,
        Field<string> username, Guid? caller, CancellationToken ct)
    {
        var failures = refused.Errors.ToList();
        bool Failed(string field) => failures.Any(f => f.PropertyName == field);

        var self = caller ?? Guid.Empty;
        if (username.IsPresent && username.Value.Length > 0 && !Failed("username"))
        {
            var wanted = username.Value;
            if (await session.Query<Account>().AnyAsync(x => x.Username == wanted && x.Id != self, ct))
                failures.Insert(0, new ValidationFailure("username", AccountRules.UsernameTaken));
        }
        return failures.Count == refused.Errors.Count() ? refused : new ValidationException(failures);
    }

    /// <summary>
    /// A change refused by its decision (a weak new password) before the database could report a taken
    /// username: adds that too.
    /// </summary>
    public static async Task<DomainValidationException> CompleteAsync(DomainValidationException refused,
        IQuerySession session, Field<string> username, Guid caller, CancellationToken ct)
    {
        if (!username.IsPresent || username.Value.Length == 0 || refused.Errors.Items.ContainsKey("username")) return refused;
        var wanted = username.Value;
        if (!await session.Query<Account>().AnyAsync(x => x.Username == wanted && x.Id != caller, ct)) return refused;
        var errors = FieldErrors.For("username", AccountRules.UsernameTaken);
        foreach (var (field, messages) in refused.Errors.Items)
            foreach (var message in messages) errors.Add(field, message);
        return new DomainValidationException(errors);
    }

    /// <summary>For a change of account: also the new password's strength, as the change itself would judge it.</summary>
    public static async Task<ValidationException> CompleteChangeAsync(ValidationException refused, IQuerySession session,
        IPasswordHasher<AccountCredentials> hasher, Guid caller, Field<string> username, Field<string> email,
        Field<string> password, CancellationToken ct)
    {
        var completed = await CompleteAsync(refused, session, username, caller, ct);
        var failures = completed.Errors.ToList();
        bool Failed(string field) => failures.Any(f => f.PropertyName == field);
        if (!password.IsPresent || password.Value.Length == 0 || Failed("password")) return completed;

        var details = await session.LoadAsync<Account>(caller, ct);
        var credentials = await session.LoadAsync<AccountCredentials>(caller, ct);
        if (details is null || credentials is null) return completed;
        // Sending the current password changes nothing, and is not judged (as in ChangeAccount.Decide).
        if (hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, password.Value) != PasswordVerificationResult.Failed)
            return completed;

        var effectiveUsername = username.IsPresent && !Failed("username") ? username.Value : details.Username;
        var effectiveEmail = email.IsPresent && !Failed("email") ? email.Value : details.Email;
        var weaknesses = PasswordRules.Validate(password.Value, effectiveUsername, effectiveEmail);
        if (weaknesses.Count == 0) return completed;
        failures.AddRange(weaknesses.Select(w => new ValidationFailure("password", w)));
        return new ValidationException(failures);
    }
}
