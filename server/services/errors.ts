/**
 * Domain errors thrown by services. They carry no transport detail; the tRPC
 * layer maps each kind to a status code, and `field` lets forms show the
 * message beside the input it is about.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {}
export class ForbiddenError extends DomainError {}
export class ConflictError extends DomainError {}
export class InvalidInputError extends DomainError {}
export class UnauthorizedError extends DomainError {}
export class TooManyRequestsError extends DomainError {}
