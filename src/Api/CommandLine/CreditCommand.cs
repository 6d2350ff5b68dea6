using System.Globalization;
using JasperFx.CommandLine;
using Marten;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Billing;

namespace Sharedcloud.Es.Api.CommandLine;

public sealed class CreditInput : NetCoreInput
{
    [Description("The account's username")]
    public string UsernameFlag { get; set; } = "";

    [Description("How many US dollars to credit: positive, at most 3 decimals")]
    public string AmountFlag { get; set; } = "";
}

/// <summary>
/// Money in: there is no payment API, so an operator credits an account from here. The credit is an event on the
/// account's stream (account_credited, by <c>system</c>), taken under the stream's lock like every write.
/// </summary>
[Description("Credit an account's balance (an operator's payment), recorded as an event")]
public sealed class CreditCommand : JasperFxAsyncCommand<CreditInput>
{
    public CreditCommand()
    {
        Usage("Credit an account").Arguments();
    }

    public override async Task<bool> Execute(CreditInput input)
    {
        if (!decimal.TryParse(input.AmountFlag, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0 || Prices.Round(amount) != amount)
        {
            await Console.Error.WriteLineAsync($"error: --amount must be a positive number of dollars with at most 3 decimals, not \"{input.AmountFlag}\"");
            return false;
        }
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.LightweightSession();
        var account = await session.Query<Account>().FirstOrDefaultAsync(a => a.Username == input.UsernameFlag);
        if (account is null)
        {
            await Console.Error.WriteLineAsync($"error: no account is named \"{input.UsernameFlag}\"");
            return false;
        }
        RequestAudit.StampSystem(session, account.Id);
        var stream = await session.Events.FetchForExclusiveWriting<Account>(account.Id);
        if (stream.Aggregate is null)
        {
            await Console.Error.WriteLineAsync($"error: the account \"{input.UsernameFlag}\" was deleted");
            return false;
        }
        stream.AppendOne(new AccountCredited(account.Id, amount));
        await session.SaveChangesAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"credited {amount} to {account.Username}: balance {stream.Aggregate.Balance + amount}"));
        return true;
    }
}
