using Sharedcloud.Es.Domain.Accounts;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Auth;

/// <summary>Django REST Framework's token scheme: <c>Authorization: Token &lt;key&gt;</c>, with its messages.</summary>
public sealed class TokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Token";
    public const string NotProvided = "Authentication credentials were not provided.";
    public const string InvalidToken = "Invalid token.";
    public const string NoCredentials = "Invalid token header. No credentials provided.";
    public const string ContainsSpaces = "Invalid token header. Token string should not contain spaces.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var parts = header.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !parts[0].Equals(SchemeName, StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        if (parts.Length == 1) return AuthenticateResult.Fail(NoCredentials);
        if (parts.Length > 2) return AuthenticateResult.Fail(ContainsSpaces);

        var key = parts[1];
        if (key.Length != 40) return AuthenticateResult.Fail(InvalidToken);
        var digest = ApiKeys.Digest(key);
        if (!cache.TryGet(digest, out var owner))
        {
            var generation = cache.Generation;
            // Only on a miss: a session per request, for a key the cache holds, costs every request its allocation.
            var session = Context.RequestServices.GetRequiredService<IQuerySession>();
            var accountId = await session.Query<AccountCredentials>()
                .Where(x => x.KeyDigest == digest)
                .Select(x => x.Id)
                .FirstOrDefaultAsync(Context.RequestAborted);
            var account = accountId == Guid.Empty ? null : await session.LoadAsync<Account>(accountId, Context.RequestAborted);
            if (account is null) return AuthenticateResult.Fail(InvalidToken);
            owner = new KeyOwner(account.Id, account.Username);
            cache.Remember(digest, owner, generation);
        }

        var identity = new ClaimsIdentity([
            new Claim(ClaimTypes.NameIdentifier, owner.AccountId.ToString()),
            new Claim(ClaimTypes.Name, owner.Username),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = SchemeName;
        await ErrorTable.WriteDetail(Response, StatusCodes.Status401Unauthorized,
            result.Failure?.Message ?? NotProvided, Context.RequestAborted);
    }
}

public static class Caller
{
    public static Guid AccountId(this HttpContext context) =>
        Guid.Parse(context.User.FindFirstValue(ClaimTypes.NameIdentifier)
                   ?? throw new InvalidOperationException("The request was not authenticated."));

    /// <summary>
    /// Authentication is decided before anything else, so a bad key gets 401 even where the URL
    /// or method would be 404 or 405. Only sign-up and login are open, to requests without a key; a key sent
    /// to them must be good, as DRF authenticates every request of its views, open ones too.
    /// </summary>
    public static IApplicationBuilder UseAuthenticationFirst(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (!RequiresAuthentication(context.Request.Method, context.Request.Path))
                return context.Request.Headers.Authorization.Count > 0 && context.Request.Path.StartsWithSegments("/api/v1")
                    ? OpenWithKeyAsync(context, next)
                    : next(context);
            // UseAuthentication, right before this, has authenticated the request with the default scheme (the
            // token) and set User where the key was good; a failed key's reason is in the challenge (cached).
            if (context.User.Identity is not { IsAuthenticated: true, AuthenticationType: TokenAuthentication.SchemeName })
                return context.ChallengeAsync(TokenAuthentication.SchemeName);
            context.Audit()!.Actor = new Actor(context.AccountId(), context.User.FindFirstValue(ClaimTypes.Name)!);
            return next(context);
        });

    private static async Task OpenWithKeyAsync(HttpContext context, RequestDelegate next)
    {
        // UseAuthentication's result, cached: a Token header that failed is 401; no token (another scheme) passes.
        if ((await context.AuthenticateAsync(TokenAuthentication.SchemeName)).Failure is not null)
            await context.ChallengeAsync(TokenAuthentication.SchemeName);
        else
            await next(context);
    }

    /// <summary>Whether a request needs a key; the OpenAPI document asks the same question.</summary>
    public static bool RequiresAuthentication(string method, PathString path)
    {
        if (!path.StartsWithSegments("/api/v1")) return false;
        return !(HttpMethods.IsPost(method)
                 && (path.Equals("/api/v1/users") || path.Equals("/api/v1/api-token-auth")));
    }
}
