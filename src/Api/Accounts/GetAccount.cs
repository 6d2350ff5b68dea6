using Marten;
using Mediator;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Accounts;

public sealed record GetAccount(Guid AccountId) : IQuery<Account>;

public sealed class GetAccountHandler(IQuerySession session) : IQueryHandler<GetAccount, Account>
{
    public async ValueTask<Account> Handle(GetAccount query, CancellationToken ct) =>
        await session.LoadAsync<Account>(query.AccountId, ct) ?? throw new NotFoundException();
}
