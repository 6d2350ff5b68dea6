using FluentValidation;
using Mediator;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>Runs a message's FluentValidation validators before its handler; every failure at once.</summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, Mediator.IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next,
        CancellationToken cancellationToken)
    {
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            if (!result.IsValid) throw new ValidationException(result.Errors);
        }
        return await next(message, cancellationToken);
    }
}
