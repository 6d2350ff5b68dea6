using Marten;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Accounts.Changing;
using Sharedcloud.Es.Domain.Accounts.Deleting;
using Sharedcloud.Es.Domain.Accounts.LoggingIn;
using Sharedcloud.Es.Domain.Accounts.Registering;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

public static class AccountEndpoints
{
    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        // Sign-up: the one call besides login that needs no key.
        app.MapPost("/api/v1/users", async (HttpContext http, IMediator mediator, IQuerySession session, TimeProvider clock,
            CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var command = new RegisterAccount(Guid.CreateVersion7(),
                body.Text("username"), body.Text("email"), body.Text("password", trim: false));
            Account created;
            try
            {
                created = await mediator.Send(command, ct);
            }
            catch (FieldErrorsException refused)
            {
                throw await StoredAccountChecks.CompleteAsync(refused, session, command.Username, caller: null, ct);
            }
            return Respond(created, http, clock, StatusCodes.Status201Created);
        }).Documented("signUp", ApiTags.Accounts, "Sign up", d => d
            .Body<SignUpForm>().Returns<AccountResponse>(StatusCodes.Status201Created, "The new account.").ETag());

        app.MapPost("/api/v1/api-token-auth", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var key = await mediator.Send(new LogIn(body.Text("username"), body.Text("password", trim: false)), ct);
            http.Response.Headers.CacheControl = SecurityHeaders.NoStore; // the body is a credential
            return ApiResults.Ok(new TokenResponse(key), ApiJson.Api.TokenResponse);
        }).Documented("logIn", ApiTags.Accounts, "Log in: get the account's API key", d => d
            .Describe("Wrong credentials are 400 `{\"non_field_errors\": [\"Unable to log in with provided credentials.\"]}`.")
            .Body<LoginForm>().Returns<TokenResponse>(description: "The key: the same one until a change of the account rotates it. Not cached (`no-store`)."));

        // Only the caller's own account, as a bare array.
        app.MapGet("/api/v1/users", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var details = await mediator.Send(new GetAccount(http.AccountId()), ct);
            return ApiResults.Ok(new List<AccountResponse> { AccountResponse.From(details, clock.GetUtcNow()) },
                ApiJson.Api.ListAccountResponse);
        }).Documented("listUsers", ApiTags.Accounts, "The caller's account, in a list", d => d.Returns<List<AccountResponse>>());

        var account = app.MapGroup("/api/v1/users/account");

        account.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var details = await mediator.Send(new GetAccount(http.AccountId()), ct);
            return Preconditions.IfNoneMatch(http.Request, details.Version)
                ? Preconditions.NotModified(http.Response, details.Version)
                : Respond(details, http, clock, StatusCodes.Status200OK);
        }).Documented("getAccount", ApiTags.Accounts, "The caller's account", d => d.Returns<AccountResponse>().ETag().IfNoneMatch());

        account.MapPatch("", async (HttpContext http, IMediator mediator, IQuerySession session,
            IPasswordHasher<AccountCredentials> hasher, TimeProvider clock, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var command = new ChangeAccount(http.AccountId(),
                body.Text("username"), body.Text("email"), body.Text("password", trim: false), Preconditions.IfMatch(http.Request));
            Account? changed;
            try
            {
                changed = await mediator.Send(command, ct);
            }
            catch (FieldErrorsException refused)
            {
                // The shape check's refusals and the decision's (a weak password) alike.
                throw await StoredAccountChecks.CompleteChangeAsync(refused, session, hasher, command.AccountId,
                    command.Username, command.Email, command.Password, ct);
            }
            return Respond(changed ?? throw new NotFoundException(), http, clock, StatusCodes.Status200OK);
        })
        // RFC 9110: a stale If-Match is 412 before the content is judged (the write judges it under the stream's lock).
        .AddEndpointFilter(new PreconditionsFirst(Account.Kind, async (http, ct) =>
            (await http.RequestServices.GetRequiredService<IQuerySession>().LoadAsync<Account>(http.AccountId(), ct))?.Version))
        .Documented("changeAccount", ApiTags.Accounts, "Change the username, email or password", d => d
            .Describe("Any change rotates the API key: the old one stops working, and the next login returns the new one.")
            .Body<AccountChangeForm>(required: false).Returns<AccountResponse>().ETag().IfMatch());

        account.MapDelete("", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteAccount(http.AccountId(), Preconditions.IfMatch(http.Request)), ct);
            return Results.NoContent();
        }).Documented("deleteAccount", ApiTags.Accounts, "Delete the account and its instances", d => d
            .NoContent("Deleted; the key no longer works. The history stays in the event store.").IfMatch());
    }

    /// <summary>The account, with its stream version as the entity tag.</summary>
    private static IResult Respond(Account details, HttpContext http, TimeProvider clock, int status)
    {
        http.Response.SetETag(details.Version);
        return Results.Json(AccountResponse.From(details, clock.GetUtcNow()), ApiJson.Api.AccountResponse,
            statusCode: status);
    }
}
