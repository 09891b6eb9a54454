/**
 * Domain errors. They know nothing of HTTP: the Graph edge maps them to Graph error bodies once
 * (bot/graph/http.ts), the bot maps them to cards.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'notFound' | 'forbidden' | 'conflict' | 'unauthorized' | 'tooLarge' | 'unsupportedMediaType';
  constructor(
    /** Stable, Graph-like error code, e.g. `InvalidRequest`, `ResourceNotFound`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input is malformed or breaks a rule (400). `target` names the offending field when there is one. */
export class ValidationError extends DomainError {
  readonly kind = 'validation' as const;
  constructor(message: string, readonly target?: string, code = 'BadRequest') {
    super(code, message);
  }
}

/** The object does not exist, or the caller may not know that it exists (404). */
export class NotFoundError extends DomainError {
  readonly kind = 'notFound' as const;
  constructor(message: string, code = 'ResourceNotFound') {
    super(code, message);
  }
}

/** The caller is known but may not do this (403). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
  constructor(message = 'The caller is not authorized to perform this operation.', code = 'Authorization_RequestDenied') {
    super(code, message);
  }
}

/** The operation contradicts the current state: duplicate, still in use, already decided (409 unless mapped otherwise). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
  constructor(message: string, code = 'Conflict') {
    super(code, message);
  }
}

/** No valid credentials (401). */
export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized' as const;
  constructor(message = 'Access token is missing or invalid.', code = 'InvalidAuthenticationToken') {
    super(code, message);
  }
}

/** The request body is not in a format we read (415): only `application/json`. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly kind = 'unsupportedMediaType' as const;
  constructor(message: string) {
    super('UnsupportedMediaType', message);
  }
}

/** The request body is larger than we accept (413). */
export class PayloadTooLargeError extends DomainError {
  readonly kind = 'tooLarge' as const;
  constructor(message: string) {
    super('RequestEntityTooLarge', message);
  }
}

/**
 * A read did not finish within its time budget and was stopped (400): the query is too expensive
 * for one request (Graph refuses queries it cannot serve with `Request_UnsupportedQuery`).
 */
export class QueryTimeoutError extends ValidationError {
  constructor(timeoutMs: number, message = `The query did not finish within ${timeoutMs} ms and was stopped. Narrow it with a more selective $filter, fewer $expand levels or a smaller $top.`) {
    super(message, undefined, 'Request_UnsupportedQuery');
  }
}
