import { eventTypePattern } from '../rules/rule-definition';
import { InvalidInput } from '../shared/errors';
import { requireIntegerInRange, requirePattern, requireReference } from '../shared/validate';

/**
 * What a survey asks, and the checks on it and on a member's answer to it. Plain data and pure
 * functions: the service stores a definition as JSON and validates answers against it.
 */

export type QuestionKind = 'rating' | 'single_choice' | 'multiple_choice' | 'text';
export const questionKinds: readonly QuestionKind[] = [
  'rating',
  'single_choice',
  'multiple_choice',
  'text',
];

export interface SurveyChoice {
  /** Stable within the question, e.g. "price". */
  id: string;
  label: string;
}

export interface SurveyQuestion {
  /** Stable within the survey, e.g. "q1" or "service": answers and results name it. */
  id: string;
  kind: QuestionKind;
  prompt: string;
  /** A required question must be answered; an optional one may be left out. */
  required: boolean;
  /** Rating questions: the highest rating (ratings run from 1). Null for other kinds. */
  scaleMax: number | null;
  /** Choice questions: the choices offered. Empty for other kinds. */
  choices: SurveyChoice[];
  /** Text questions: the longest answer, in characters. Null for other kinds. */
  textLengthMax: number | null;
}

export interface SurveyDefinition {
  title: string;
  questions: SurveyQuestion[];
  opensAt: Date;
  closesAt: Date;
  /** The member event each answer records at the partner (its event rules reward it); null: none. */
  reward: { eventType: string; currency: string } | null;
}

/** One question's answer as a member sends it: the one field its kind reads. */
export interface ResponseInput {
  questionId: string;
  rating?: number | null;
  choiceIds?: string[] | null;
  text?: string | null;
}

/** A checked response: exactly one of rating, choices and text is set. */
export interface SurveyResponse {
  questionId: string;
  rating: number | null;
  choiceIds: string[] | null;
  text: string | null;
}

export const questionsMax = 20;
export const choicesMax = 20;
export const scaleMaxLimit = 10;
export const textLengthLimit = 2000;
export const promptLengthMax = 500;
export const surveyDaysMax = 366;
const dayMs = 86_400_000;
const keyPattern = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const keyHint = 'lower case letters, digits, "_" or "-", 1 to 40 characters (e.g. "q1")';

/** The default member event of a rewarded survey (a built-in type the rules engine knows). */
export const defaultRewardEventType = 'survey_submitted';

/** Checks a definition; fails with InvalidInput naming the first field that is wrong. */
export function validSurveyDefinition(definition: SurveyDefinition): SurveyDefinition {
  const title = requireReference('title', definition.title.trim(), 200);
  if (definition.questions.length < 1 || definition.questions.length > questionsMax) {
    throw new InvalidInput('questions', `a survey asks 1 to ${questionsMax} questions`);
  }
  const seen = new Set<string>();
  const questions = definition.questions.map((question, index) => {
    const valid = validQuestion(question, `questions[${index}]`);
    if (seen.has(valid.id)) throw new InvalidInput(`questions[${index}].id`, 'is used twice');
    seen.add(valid.id);
    return valid;
  });
  const { opensAt, closesAt } = definition;
  if (Number.isNaN(opensAt.getTime()) || Number.isNaN(closesAt.getTime())) {
    throw new InvalidInput('opensAt', 'must be a valid date');
  }
  if (closesAt.getTime() <= opensAt.getTime()) {
    throw new InvalidInput('closesAt', 'must be after opensAt');
  }
  if (closesAt.getTime() - opensAt.getTime() > surveyDaysMax * dayMs) {
    throw new InvalidInput('closesAt', `a survey is open for at most ${surveyDaysMax} days`);
  }
  const reward = definition.reward && {
    eventType: requirePattern(
      'rewardEventType',
      definition.reward.eventType,
      eventTypePattern,
      'lower snake case, 2 to 40 characters (e.g. survey_submitted)',
    ),
    currency: definition.reward.currency,
  };
  return { title, questions, opensAt, closesAt, reward };
}

function validQuestion(question: SurveyQuestion, field: string): SurveyQuestion {
  const id = requirePattern(`${field}.id`, question.id, keyPattern, keyHint);
  const prompt = requireReference(`${field}.prompt`, question.prompt.trim(), promptLengthMax);
  const base = { id, kind: question.kind, prompt, required: question.required };
  const none = { scaleMax: null, choices: [], textLengthMax: null };
  switch (question.kind) {
    case 'rating': {
      const scaleMax = question.scaleMax ?? 5;
      requireIntegerInRange(`${field}.scaleMax`, scaleMax, 2, scaleMaxLimit);
      return { ...base, ...none, scaleMax };
    }
    case 'single_choice':
    case 'multiple_choice':
      return { ...base, ...none, choices: validChoices(question.choices, `${field}.choices`) };
    case 'text': {
      const textLengthMax = question.textLengthMax ?? 500;
      requireIntegerInRange(`${field}.textLengthMax`, textLengthMax, 1, textLengthLimit);
      return { ...base, ...none, textLengthMax };
    }
    default:
      throw new InvalidInput(`${field}.kind`, `must be one of ${questionKinds.join(', ')}`);
  }
}

function validChoices(choices: SurveyChoice[], field: string): SurveyChoice[] {
  if (choices.length < 2 || choices.length > choicesMax) {
    throw new InvalidInput(field, `a choice question offers 2 to ${choicesMax} choices`);
  }
  const seen = new Set<string>();
  return choices.map((choice, index) => {
    const id = requirePattern(`${field}[${index}].id`, choice.id, keyPattern, keyHint);
    if (seen.has(id)) throw new InvalidInput(`${field}[${index}].id`, 'is used twice');
    seen.add(id);
    return { id, label: requireReference(`${field}[${index}].label`, choice.label.trim(), 200) };
  });
}

/**
 * Checks a member's responses against the questions: each names a question once, answers it
 * in its kind's one field and range; every required question is answered. Fails with
 * InvalidInput naming the first response that is wrong.
 */
export function validResponses(
  questions: readonly SurveyQuestion[],
  responses: readonly ResponseInput[],
): SurveyResponse[] {
  const byId = new Map(questions.map((question) => [question.id, question]));
  const answered = new Set<string>();
  const valid = responses.map((response, index) => {
    const field = `responses[${index}]`;
    const question = byId.get(response.questionId);
    if (!question)
      throw new InvalidInput(`${field}.questionId`, 'is not a question of this survey');
    if (answered.has(question.id))
      throw new InvalidInput(`${field}.questionId`, 'is answered twice');
    answered.add(question.id);
    return validResponse(question, response, field);
  });
  for (const question of questions) {
    if (question.required && !answered.has(question.id)) {
      throw new InvalidInput('responses', `question "${question.id}" is required`);
    }
  }
  return valid;
}

function validResponse(
  question: SurveyQuestion,
  response: ResponseInput,
  field: string,
): SurveyResponse {
  const given = [response.rating, response.choiceIds, response.text].filter((v) => v != null);
  if (given.length !== 1) {
    throw new InvalidInput(field, 'give exactly one of rating, choiceIds and text');
  }
  const empty = { questionId: question.id, rating: null, choiceIds: null, text: null };
  switch (question.kind) {
    case 'rating': {
      if (response.rating == null) throw new InvalidInput(`${field}.rating`, 'is required');
      requireIntegerInRange(`${field}.rating`, response.rating, 1, question.scaleMax ?? 5);
      return { ...empty, rating: response.rating };
    }
    case 'single_choice':
    case 'multiple_choice':
      return { ...empty, choiceIds: validChoiceIds(question, response.choiceIds, field) };
    case 'text':
      return { ...empty, text: validText(question, response.text, field) };
  }
}

function validChoiceIds(
  question: SurveyQuestion,
  choiceIds: string[] | null | undefined,
  field: string,
): string[] {
  if (!choiceIds || choiceIds.length === 0) {
    throw new InvalidInput(`${field}.choiceIds`, 'pick at least one choice');
  }
  if (question.kind === 'single_choice' && choiceIds.length !== 1) {
    throw new InvalidInput(`${field}.choiceIds`, 'pick exactly one choice');
  }
  const offered = new Set(question.choices.map((choice) => choice.id));
  if (new Set(choiceIds).size !== choiceIds.length) {
    throw new InvalidInput(`${field}.choiceIds`, 'names a choice twice');
  }
  for (const id of choiceIds) {
    if (!offered.has(id)) throw new InvalidInput(`${field}.choiceIds`, `"${id}" is not offered`);
  }
  return [...choiceIds];
}

function validText(question: SurveyQuestion, text: string | null | undefined, field: string) {
  const trimmed = (text ?? '').trim();
  const lengthMax = question.textLengthMax ?? textLengthLimit;
  if (trimmed.length < 1 || trimmed.length > lengthMax) {
    throw new InvalidInput(`${field}.text`, `must be 1 to ${lengthMax} characters`);
  }
  // Line breaks and tabs are what free text needs; other control characters are refused.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(trimmed)) {
    throw new InvalidInput(`${field}.text`, 'must not contain control characters');
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(trimmed)) {
    throw new InvalidInput(`${field}.text`, 'must be well-formed Unicode');
  }
  return trimmed;
}
