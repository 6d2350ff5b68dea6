using Marten;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

public sealed record GetAccount(Guid AccountId) : IQuery<Account>;

public sealed class GetAccountHandler(IQuerySession session) : IQueryHandler<GetAccount, Account>
{
    public async ValueTask<Account> Handle(GetAccount query, CancellationToken ct) =>
        await session.LoadAsync<Account>(query.AccountId, ct) ?? throw new NotFoundException();
}
