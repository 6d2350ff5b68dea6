using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Images;

namespace Sharedcloud.Es.Domain.Functions;

/// <summary>Every event of a function's stream.</summary>
public interface IFunctionEvent
{
    Guid FunctionId { get; }
}

public sealed record FunctionCreated(Guid FunctionId, Guid AccountId, string Name, Guid ImageId, string Code) : IFunctionEvent;

public sealed record FunctionRenamed(Guid FunctionId, string Name) : IFunctionEvent;

/// <summary>The function now runs on another image of the catalog (and so, maybe, another runtime).</summary>
public sealed record FunctionImageChanged(Guid FunctionId, Guid ImageId) : IFunctionEvent;

public sealed record FunctionCodeChanged(Guid FunctionId, string Code) : IFunctionEvent;

/// <summary>The function is gone, with its runs and their jobs (each recorded on its own stream).</summary>
public sealed record FunctionDeleted(Guid FunctionId) : IFunctionEvent;

/// <summary>
/// A consumer's function as its events made it: what decisions need and what its owner reads, in one document kept
/// inline. Deleted functions have none. The image's registry path and runtime come from the catalog, which is
/// reference data shipped with the code, so a replay gives the same document.
/// </summary>
public sealed record Function : IEvolving<Function>
{
    public const string Kind = "function";

    public Guid Id { get; init; }
    public Guid AccountId { get; init; }
    public string Name { get; init; } = "";
    public Guid ImageId { get; init; }
    public string RegistryPath { get; init; } = "";
    public string Runtime { get; init; } = "";
    public bool RequiresGpu { get; init; }
    /// <summary>Exactly as sent: never trimmed or normalised.</summary>
    public string Code { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public long Version { get; init; }

    public static Function? Evolve(Function? state, object e, DateTimeOffset at)
    {
        if (e is not IFunctionEvent) return state;
        if (state is null)
            return e is FunctionCreated c
                ? WithImage(new Function
                {
                    Id = c.FunctionId, AccountId = c.AccountId, Name = c.Name, Code = c.Code, CreatedAt = at, UpdatedAt = at,
                    Version = 1,
                }, c.ImageId)
                : null;
        Function? next = e switch
        {
            FunctionRenamed x => state with { Name = x.Name, UpdatedAt = at },
            FunctionImageChanged x => WithImage(state, x.ImageId) with { UpdatedAt = at },
            FunctionCodeChanged x => state with { Code = x.Code, UpdatedAt = at },
            FunctionDeleted => null,
            _ => state,
        };
        return next is null ? null : next with { Version = state.Version + 1 };
    }

    private static Function WithImage(Function state, Guid imageId)
    {
        var image = ImageCatalog.Find(imageId);
        return state with
        {
            ImageId = imageId,
            RegistryPath = image?.RegistryPath ?? "",
            Runtime = image?.Runtime ?? "",
            RequiresGpu = image?.RequiresGpu ?? false,
        };
    }

    public bool IsVisibleTo(Guid accountId) => AccountId == accountId;

    /// <summary>The function a write of <paramref name="accountId"/> addresses: 404 for others' and deleted ones, then 412.</summary>
    public static Function Owned(Function? state, Guid accountId, ExpectedVersion? expected)
    {
        if (state is null || !state.IsVisibleTo(accountId)) throw new NotFoundException();
        expected.ThrowIfNotMetBy(Kind, state.Version);
        return state;
    }
}
