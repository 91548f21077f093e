// The base of the operator's errors, shared by the runtime and the chain side.
/**
 * An error that says what happened, in detail, and what to do about it; the operator's errors
 * (the runtime's, the chain side's) extend it. Match errors by class (`instanceof`), never by
 * message text.
 */
export class ActionableError extends Error {
  override readonly name: string = 'ActionableError';
  readonly details?: string;
  readonly action?: string;

  constructor(
    message: string,
    options: { details?: string; action?: string; cause?: unknown } = {},
  ) {
    super(
      [message, options.details, options.action && `To fix: ${options.action}`]
        .filter(Boolean)
        .join('. '),
      { cause: options.cause },
    );
    this.details = options.details;
    this.action = options.action;
  }
}
