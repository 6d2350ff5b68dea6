using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Runs a message's FluentValidation validators (the shape of its fields) before its handler reads anything; every
/// failure at once, as the one 400 of field errors (<see cref="FieldErrorsException"/>), under the request's field names.
/// </summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, Mediator.IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next,
        CancellationToken cancellationToken)
    {
        FieldErrors? errors = null;
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            foreach (var failure in result.Errors) (errors ??= new FieldErrors()).Add(failure.PropertyName, failure.ErrorMessage);
        }
        if (errors is not null) throw new FieldErrorsException(errors);
        return await next(message, cancellationToken);
    }
}
