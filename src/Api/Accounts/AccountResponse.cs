using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

public sealed record AccountResponse(
    Guid Uuid, string Username, string Email, DateTimeOffset? LastLogin, DateTimeOffset DateJoined, decimal Balance,
    DateTimeOffset CurrentServerTime)
{
    public static AccountResponse From(Account d, DateTimeOffset now) =>
        new(d.Id, d.Username, d.Email, d.LastLogin, d.DateJoined, d.Balance, now);
}

public sealed record TokenResponse(string Token);
