namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>Configuration section <c>Idempotency</c>.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a key and its stored response are kept; after that the key can be used afresh.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a repeat waits for the request that holds its key before it is answered 409.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often expired keys are deleted (also once at start-up).</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
}
