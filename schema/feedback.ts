import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { answerSurveyErrors } from '../gateway/feedback/survey-answers';
import { surveyReadErrors } from '../gateway/feedback/survey-results';
import {
  closeSurveyErrors,
  defineSurveyErrors,
  updateSurveyErrors,
} from '../gateway/feedback/surveys';
import { PageInfo } from './common';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

export enum SurveyQuestionKind {
  RATING = 'rating',
  SINGLE_CHOICE = 'single_choice',
  MULTIPLE_CHOICE = 'multiple_choice',
  TEXT = 'text',
}
registerEnumType(SurveyQuestionKind, {
  name: 'SurveyQuestionKind',
  description: 'What a survey question asks for.',
  valuesConfig: {
    RATING: { description: 'A whole rating from 1 to the question’s scaleMax.' },
    SINGLE_CHOICE: { description: 'Exactly one of the question’s choices.' },
    MULTIPLE_CHOICE: { description: 'One or more of the question’s choices.' },
    TEXT: {
      description: 'Free text; the partner reads it only when the member consented to share it.',
    },
  },
});

export enum SurveyRewardState {
  NONE = 'none',
  PENDING = 'pending',
  RECORDED = 'recorded',
}
registerEnumType(SurveyRewardState, {
  name: 'SurveyRewardState',
  description: 'Where an answer’s reward stands.',
  valuesConfig: {
    NONE: { description: 'The survey rewards nothing.' },
    PENDING: {
      description:
        'The member event is not recorded yet; answering again with the same clientAnswerId records it.',
    },
    RECORDED: {
      description: 'The member event was recorded; rewardPoints is what the partner’s rules gave.',
    },
  },
});

@InputType({ description: 'A choice a choice question offers.' })
export class SurveyChoiceInput {
  @Field({
    description: 'Stable within the question: lower case, digits, "_" or "-" (e.g. "price").',
  })
  id!: string;

  @Field({ description: 'What the member reads, 1 to 200 characters.' })
  label!: string;
}

@InputType({ description: 'One question of a survey.' })
export class SurveyQuestionInput {
  @Field({ description: 'Stable within the survey: lower case, digits, "_" or "-" (e.g. "q1").' })
  id!: string;

  @Field(() => SurveyQuestionKind, { description: 'What the question asks for.' })
  kind!: SurveyQuestionKind;

  @Field({ description: 'The question, 1 to 500 characters.' })
  prompt!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether every answer must answer it (default true).',
  })
  required?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: 'RATING: the highest rating, 2 to 10 (default 5).',
  })
  scaleMax?: number | null;

  @Field(() => [SurveyChoiceInput], {
    nullable: true,
    description: 'SINGLE_CHOICE and MULTIPLE_CHOICE: 2 to 20 choices.',
  })
  choices?: SurveyChoiceInput[] | null;

  @Field(() => Int, {
    nullable: true,
    description: 'TEXT: the longest answer in characters, 1 to 2,000 (default 500).',
  })
  textLengthMax?: number | null;
}

@InputType({ description: 'A survey as the calling partner defines it.' })
export class SurveyInput {
  @Field({ description: '1 to 200 characters.' })
  title!: string;

  @Field(() => [SurveyQuestionInput], { description: '1 to 20 questions, in the order asked.' })
  questions!: SurveyQuestionInput[];

  @Field({ description: 'When it starts taking answers.' })
  opensAt!: Date;

  @Field({ description: 'When it stops (after opensAt, at most 366 days later, in the future).' })
  closesAt!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'A program currency the partner awards: each answer then records a member event in it at the partner, which the partner’s event rules reward (once per answer). Null: no reward.',
  })
  rewardCurrency?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The member event type an answer records (lower snake case); default "survey_submitted". Only with rewardCurrency.',
  })
  rewardEventType?: string | null;
}

@ObjectType({ description: 'A choice a choice question offers.' })
export class SurveyChoice {
  @Field({ description: 'Stable within the question.' })
  id!: string;

  @Field({ description: 'What the member reads.' })
  label!: string;
}

@ObjectType({ description: 'One question of a survey.' })
export class SurveyQuestion {
  @Field({ description: 'Stable within the survey; answers and results name it.' })
  id!: string;

  @Field(() => SurveyQuestionKind, { description: 'What the question asks for.' })
  kind!: SurveyQuestionKind;

  @Field({ description: 'The question.' })
  prompt!: string;

  @Field({ description: 'Whether every answer must answer it.' })
  required!: boolean;

  @Field(() => Int, { nullable: true, description: 'RATING: the highest rating (from 1).' })
  scaleMax!: number | null;

  @Field(() => [SurveyChoice], { description: 'Choice questions: the choices; empty otherwise.' })
  choices!: SurveyChoice[];

  @Field(() => Int, { nullable: true, description: 'TEXT: the longest answer in characters.' })
  textLengthMax!: number | null;
}

@ObjectType({ description: 'The member event a survey’s answers record, which rules may reward.' })
export class SurveyReward {
  @Field({ description: 'The member event type, e.g. "survey_submitted".' })
  eventType!: string;

  @Field({ description: 'The program currency the event’s rules award.' })
  currency!: string;
}

@ObjectType({
  description:
    'A partner’s survey. Its definition can change until its first answer; after that it can only be closed.',
})
export class Survey {
  @Field(() => ID, { description: 'The survey’s id ("svy_...").' })
  id!: string;

  @Field(() => ID, { description: 'The partner that asks.' })
  partnerId!: string;

  @Field({ description: 'The survey’s title.' })
  title!: string;

  @Field(() => [SurveyQuestion], { description: 'The questions, in the order asked.' })
  questions!: SurveyQuestion[];

  @Field({ description: 'When it starts taking answers.' })
  opensAt!: Date;

  @Field({ description: 'When it stops taking answers.' })
  closesAt!: Date;

  @Field(() => SurveyReward, { nullable: true, description: 'Null: answers earn nothing.' })
  reward!: SurveyReward | null;

  @Field(() => Int64, { description: 'How many members answered it.' })
  answersCount!: bigint;

  @Field({ description: 'When it was defined.' })
  createdAt!: Date;

  @Field({ description: 'When it last changed (defined, edited or closed).' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A page of surveys, newest first.' })
export class SurveysPage {
  @Field(() => [Survey], { description: 'The surveys of this page.' })
  nodes!: Survey[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A survey open to the calling member now.' })
export class OpenSurvey {
  @Field(() => ID, { description: 'The survey’s id: answer it with answerSurvey.' })
  id!: string;

  @Field(() => ID, { description: 'The partner that asks (one the member is linked to).' })
  partnerId!: string;

  @Field({ description: 'The survey’s title.' })
  title!: string;

  @Field(() => [SurveyQuestion], { description: 'The questions, in the order asked.' })
  questions!: SurveyQuestion[];

  @Field({ description: 'When it started taking answers.' })
  opensAt!: Date;

  @Field({ description: 'When it stops taking answers.' })
  closesAt!: Date;

  @Field({
    description: 'Whether answering it records a member event the partner’s rules may reward.',
  })
  rewarded!: boolean;

  @Field(() => ID, { nullable: true, description: 'The member’s answer; null until they answer.' })
  answerId!: string | null;
}

@ObjectType({ description: 'A page of open surveys, newest first.' })
export class OpenSurveysPage {
  @Field(() => [OpenSurvey], { description: 'The surveys of this page.' })
  nodes!: OpenSurvey[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

@InputType({
  description: 'The answer to one question: exactly one of rating, choiceIds and text.',
})
export class SurveyResponseInput {
  @Field({ description: 'The question answered.' })
  questionId!: string;

  @Field(() => Int, { nullable: true, description: 'RATING: 1 to the question’s scaleMax.' })
  rating?: number | null;

  @Field(() => [String], {
    nullable: true,
    description: 'SINGLE_CHOICE: one choice id; MULTIPLE_CHOICE: one or more, each once.',
  })
  choiceIds?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'TEXT: 1 to the question’s textLengthMax characters.',
  })
  text?: string | null;
}

@InputType({ description: 'The calling member’s answer to a survey.' })
export class AnswerSurveyInput {
  @Field(() => ID, { description: 'An open survey of a partner the member is linked to.' })
  surveyId!: string;

  @Field({
    description:
      'The member app’s own id of this answer (1 to 200 characters): retrying with it returns the same answer.',
  })
  clientAnswerId!: string;

  @Field(() => [SurveyResponseInput], {
    description: 'One per question answered; every required question must be answered.',
  })
  responses!: SurveyResponseInput[];

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Whether the partner may read this answer’s free text (it never learns who wrote it); default false.',
  })
  consentToShareText?: boolean | null;
}

@ObjectType({ description: 'A member’s answer to a survey.' })
export class SurveyAnswer {
  @Field(() => ID, { description: 'The answer’s id ("ans_..."), also its member event’s id.' })
  id!: string;

  @Field(() => ID, { description: 'The survey answered.' })
  surveyId!: string;

  @Field(() => ID, { description: 'The member who answered.' })
  memberId!: string;

  @Field({ description: 'The member app’s id of the answer.' })
  clientAnswerId!: string;

  @Field({ description: 'Whether the partner may read the answer’s free text.' })
  consentToShareText!: boolean;

  @Field(() => SurveyRewardState, { description: 'Where the answer’s reward stands.' })
  rewardState!: SurveyRewardState;

  @Field(() => Int64, {
    nullable: true,
    description: 'RECORDED: the points the rules gave (0: none).',
  })
  rewardPoints!: bigint | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The earn transfer of the reward; null when none.',
  })
  rewardTransferId!: string | null;

  @Field({ description: 'When it was given.' })
  createdAt!: Date;
}

@ObjectType({ description: 'The survey as it now stands.' })
export class SurveySuccess {
  @Field(() => Survey, { description: 'The survey.' })
  survey!: Survey;
}

@ObjectType({ description: 'The member’s answer as it now stands.' })
export class SurveyAnswerSuccess {
  @Field(() => SurveyAnswer, { description: 'The answer (the first one, on a retry).' })
  answer!: SurveyAnswer;
}

@ObjectType({ description: 'How many gave one rating.' })
export class SurveyRatingCount {
  @Field(() => Int, { description: 'The rating, 1 to the scale’s top.' })
  rating!: number;

  @Field(() => Int64, { description: 'How many answers gave it.' })
  count!: bigint;
}

@ObjectType({ description: 'How many picked one choice.' })
export class SurveyChoiceCount {
  @Field({ description: 'The choice.' })
  choiceId!: string;

  @Field({ description: 'Its label.' })
  label!: string;

  @Field(() => Int64, { description: 'How many answers picked it.' })
  count!: bigint;
}

@ObjectType({ description: 'One question’s results over every answer.' })
export class SurveyQuestionResults {
  @Field({ description: 'The question.' })
  questionId!: string;

  @Field(() => SurveyQuestionKind, { description: 'What the question asks for.' })
  kind!: SurveyQuestionKind;

  @Field({ description: 'The question.' })
  prompt!: string;

  @Field(() => Int64, { description: 'How many answers answered it.' })
  answersCount!: bigint;

  @Field(() => [SurveyRatingCount], {
    description: 'RATING: the count of every rating from 1 to the top, zeros included.',
  })
  ratingCounts!: SurveyRatingCount[];

  @Field(() => Int64, { nullable: true, description: 'RATING: the sum of the ratings.' })
  ratingSum!: bigint | null;

  @Field(() => String, {
    nullable: true,
    description:
      'RATING: the average, ratingSum / answersCount as a decimal rounded half up to 2 places ("4.33"); null without answers.',
  })
  ratingAverage!: string | null;

  @Field(() => [SurveyChoiceCount], {
    description: 'Choice questions: the count of every choice, in the question’s order.',
  })
  choiceCounts!: SurveyChoiceCount[];

  @Field(() => Int64, {
    description:
      'TEXT: how many answers consented to share their text (surveyTextAnswers lists them).',
  })
  consentedTextCount!: bigint;
}

@ObjectType({ description: 'What a survey’s answers say, in aggregate.' })
export class SurveyResults {
  @Field(() => Survey, { description: 'The survey the results are of.' })
  survey!: Survey;

  @Field(() => Int64, { description: 'How many members answered.' })
  answersCount!: bigint;

  @Field(() => [SurveyQuestionResults], { description: 'Per question, in the survey’s order.' })
  questions!: SurveyQuestionResults[];
}

@ObjectType({ description: 'A free-text answer whose member consented to share it (anonymous).' })
export class SurveyTextAnswer {
  @Field({ description: 'The answer id and question id: the cursor of the list.' })
  id!: string;

  @Field({ description: 'The text question answered.' })
  questionId!: string;

  @Field({ description: 'What the member wrote.' })
  text!: string;

  @Field({ description: 'When the answer was given.' })
  answeredAt!: Date;
}

@ObjectType({ description: 'A page of consented free-text answers, newest first.' })
export class SurveyTextAnswersPage {
  @Field(() => [SurveyTextAnswer], { description: 'The texts of this page.' })
  nodes!: SurveyTextAnswer[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

export const DefineSurveyResult = resultUnion({
  name: 'DefineSurveyResult',
  description: 'SurveySuccess, or why no survey was defined.',
  success: SurveySuccess,
  errors: defineSurveyErrors,
});

export const UpdateSurveyResult = resultUnion({
  name: 'UpdateSurveyResult',
  description: 'SurveySuccess, or why the survey was not changed.',
  success: SurveySuccess,
  errors: updateSurveyErrors,
});

export const CloseSurveyResult = resultUnion({
  name: 'CloseSurveyResult',
  description: 'SurveySuccess, or why the survey was not closed.',
  success: SurveySuccess,
  errors: closeSurveyErrors,
});

export const AnswerSurveyResult = resultUnion({
  name: 'AnswerSurveyResult',
  description: 'SurveyAnswerSuccess, or why no answer was recorded.',
  success: SurveyAnswerSuccess,
  errors: answerSurveyErrors,
});

export const SurveyResultsResult = resultUnion({
  name: 'SurveyResultsResult',
  description: 'SurveyResults, or why they cannot be read.',
  success: SurveyResults,
  errors: surveyReadErrors,
});

export const SurveyTextAnswersResult = resultUnion({
  name: 'SurveyTextAnswersResult',
  description: 'SurveyTextAnswersPage, or why it cannot be read.',
  success: SurveyTextAnswersPage,
  errors: surveyReadErrors,
});
