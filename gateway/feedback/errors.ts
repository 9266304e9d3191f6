import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The feedback module's expected failures. */

export class SurveyClosed extends DomainError {
  static readonly code = 'SURVEY_CLOSED';
  static readonly result: ErrorResultShape = {
    description: 'The survey takes no answers now: it has not opened yet, or it has closed.',
    fields: {
      surveyId: { type: 'ID', description: 'The survey.' },
      opensAt: { type: 'DateTime', description: 'When it opens (opened).' },
      closesAt: { type: 'DateTime', description: 'When it closes (closed).' },
    },
  };
  readonly code = SurveyClosed.code;
  constructor(
    readonly surveyId: string,
    readonly opensAt: Date,
    readonly closesAt: Date,
  ) {
    super(
      `survey ${surveyId} takes answers from ${opensAt.toISOString()} to ${closesAt.toISOString()}`,
    );
  }
}

export class SurveyAlreadyAnswered extends DomainError {
  static readonly code = 'SURVEY_ALREADY_ANSWERED';
  static readonly result: ErrorResultShape = {
    description:
      'The member has answered this survey already (under another answer id): a member answers a survey once.',
    fields: {
      surveyId: { type: 'ID', description: 'The survey.' },
      answerId: { type: 'ID', description: 'The member’s answer that stands.' },
    },
  };
  readonly code = SurveyAlreadyAnswered.code;
  constructor(
    readonly surveyId: string,
    readonly answerId: string,
  ) {
    super(`survey ${surveyId} was already answered by this member (${answerId})`);
  }
}

export class SurveyLocked extends DomainError {
  static readonly code = 'SURVEY_LOCKED';
  static readonly result: ErrorResultShape = {
    description:
      'The survey has answers: its questions, window start and reward are fixed (it may still be closed).',
    fields: {
      surveyId: { type: 'ID', description: 'The survey.' },
      answersCount: { type: 'Int64', description: 'How many answers it has.' },
    },
  };
  readonly code = SurveyLocked.code;
  constructor(
    readonly surveyId: string,
    readonly answersCount: bigint,
  ) {
    super(`survey ${surveyId} has ${answersCount} answers: it can no longer be edited`);
  }
}
