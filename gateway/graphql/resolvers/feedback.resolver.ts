import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  AnswerSurveyInput,
  AnswerSurveyResult,
  CloseSurveyResult,
  DefineSurveyResult,
  OpenSurvey,
  OpenSurveysPage,
  Survey,
  SurveyAnswer,
  SurveyAnswerSuccess,
  SurveyInput,
  SurveyQuestionKind,
  SurveyQuestionResults,
  SurveyResults,
  SurveyResultsResult,
  SurveyRewardState,
  SurveySuccess,
  SurveysPage,
  SurveyTextAnswersPage,
  SurveyTextAnswersResult,
  UpdateSurveyResult,
} from '../../../schema/feedback';
import { answerSurveyErrors, type SurveyAnswerView } from '../../feedback/survey-answers';
import {
  defaultRewardEventType,
  type QuestionKind,
  type SurveyDefinition,
  type SurveyQuestion,
} from '../../feedback/survey-definition';
import { type SurveyResults as Results, surveyReadErrors } from '../../feedback/survey-results';
import {
  closeSurveyErrors,
  defineSurveyErrors,
  type Page,
  type SurveyView,
  updateSurveyErrors,
} from '../../feedback/surveys';
import { InvalidInput } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/** Surveys, answers and results (issue 18, item 3). Thin: an auth rule, one service call, a mapping. */
@Resolver()
export class FeedbackResolver {
  @Authorized('partner')
  @Mutation(() => DefineSurveyResult, {
    description: `The calling partner defines a survey for the members linked to it. ${errorsDoc(defineSurveyErrors)}`,
  })
  defineSurvey(
    @Arg('input', { description: 'The survey.' }) input: SurveyInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () => ctx.app.surveys.define(ctx.request, definitionOf(input)),
      surveySuccess,
    );
  }

  @Authorized('partner')
  @Mutation(() => UpdateSurveyResult, {
    description: `The calling partner replaces the definition of its survey, until the survey’s first answer. ${errorsDoc(updateSurveyErrors)}`,
  })
  updateSurvey(
    @Arg('surveyId', () => ID, { description: 'The survey.' }) surveyId: string,
    @Arg('input', { description: 'The survey.' }) input: SurveyInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () => ctx.app.surveys.update(ctx.request, surveyId, definitionOf(input)),
      surveySuccess,
    );
  }

  @Authorized('partner')
  @Mutation(() => CloseSurveyResult, {
    description: `The calling partner closes its survey now (answered or not); closing a closed one changes nothing. ${errorsDoc(closeSurveyErrors)}`,
  })
  closeSurvey(
    @Arg('surveyId', () => ID, { description: 'The survey.' }) surveyId: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.surveys.close(ctx.request, surveyId), surveySuccess);
  }

  @Authorized('partner', 'operator')
  @Query(() => SurveysPage, {
    description:
      'Surveys, newest first: a partner’s own; the operator’s, every partner’s (or one partner’s).',
  })
  async surveys(
    @Ctx() ctx: GraphQLContext,
    @Arg('partnerId', () => ID, { nullable: true, description: 'Operator only: one partner’s.' })
    partnerId?: string,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 1 to 100.',
    })
    first?: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after?: string,
  ) {
    const page = await ctx.app.surveys.surveys(ctx.request, { partnerId, first, after });
    return pageObject(new SurveysPage(), page, surveyObject);
  }

  @Authorized('partner', 'operator')
  @Query(() => Survey, {
    nullable: true,
    description: 'One survey: a partner’s own, any for the operator; null when not visible.',
  })
  async survey(
    @Arg('surveyId', () => ID, { description: 'The survey.' }) surveyId: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    const survey = await ctx.app.surveys.survey(ctx.request, surveyId);
    return survey && surveyObject(survey);
  }

  @Authorized('member')
  @Query(() => OpenSurveysPage, {
    description:
      'The surveys open now at the partners the calling member is linked to, newest first.',
  })
  async openSurveys(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 1 to 100.',
    })
    first?: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after?: string,
  ) {
    const page = await ctx.app.surveys.openSurveys(ctx.request, { first, after });
    return pageObject(new OpenSurveysPage(), page, (view) =>
      Object.assign(new OpenSurvey(), { ...view, questions: view.questions.map(questionObject) }),
    );
  }

  @Authorized('member')
  @Mutation(() => AnswerSurveyResult, {
    description: `The calling member answers a survey, once; retrying with the same clientAnswerId returns the same answer. A rewarded survey’s answer records its member event at the partner, whose event rules give the points (once). ${errorsDoc(answerSurveyErrors)}`,
  })
  answerSurvey(
    @Arg('input', { description: 'The answer.' }) input: AnswerSurveyInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () =>
        ctx.app.surveyAnswers.answer(ctx.request, {
          surveyId: input.surveyId,
          clientAnswerId: input.clientAnswerId,
          responses: input.responses.map((response) => ({ ...response })),
          consentToShareText: input.consentToShareText ?? false,
        }),
      (answer) => Object.assign(new SurveyAnswerSuccess(), { answer: answerObject(answer) }),
    );
  }

  @Authorized('partner', 'operator')
  @Query(() => SurveyResultsResult, {
    description: `A survey’s results: answer counts, counts per rating and choice, average ratings. A partner reads its own surveys’. ${errorsDoc(surveyReadErrors)}`,
  })
  surveyResults(
    @Arg('surveyId', () => ID, { description: 'The survey.' }) surveyId: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.surveyResults.results(ctx.request, surveyId), resultsObject);
  }

  @Authorized('partner', 'operator')
  @Query(() => SurveyTextAnswersResult, {
    description: `The free text of a survey’s answers whose members consented to share it, newest first, without who wrote it. ${errorsDoc(surveyReadErrors)}`,
  })
  surveyTextAnswers(
    @Arg('surveyId', () => ID, { description: 'The survey.' }) surveyId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('questionId', () => String, { nullable: true, description: 'One text question only.' })
    questionId?: string,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 1 to 100.',
    })
    first?: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after?: string,
  ) {
    return respond(
      () => ctx.app.surveyResults.textAnswers(ctx.request, surveyId, { questionId, first, after }),
      (page) => pageObject(new SurveyTextAnswersPage(), page, (item) => item),
    );
  }
}

function definitionOf(input: SurveyInput): SurveyDefinition {
  if (input.rewardEventType != null && input.rewardCurrency == null) {
    throw new InvalidInput('rewardEventType', 'a reward needs rewardCurrency');
  }
  return {
    title: input.title,
    questions: input.questions.map((question) => ({
      id: question.id,
      kind: question.kind as QuestionKind,
      prompt: question.prompt,
      required: question.required ?? true,
      scaleMax: question.scaleMax ?? null,
      choices: (question.choices ?? []).map((choice) => ({ id: choice.id, label: choice.label })),
      textLengthMax: question.textLengthMax ?? null,
    })),
    opensAt: input.opensAt,
    closesAt: input.closesAt,
    reward:
      input.rewardCurrency == null
        ? null
        : {
            currency: input.rewardCurrency,
            eventType: input.rewardEventType ?? defaultRewardEventType,
          },
  };
}

function questionObject(question: SurveyQuestion) {
  return { ...question, kind: question.kind as SurveyQuestionKind };
}

function surveyObject(view: SurveyView): Survey {
  return Object.assign(new Survey(), { ...view, questions: view.questions.map(questionObject) });
}

function surveySuccess(view: SurveyView): SurveySuccess {
  return Object.assign(new SurveySuccess(), { survey: surveyObject(view) });
}

function answerObject(view: SurveyAnswerView): SurveyAnswer {
  return Object.assign(new SurveyAnswer(), {
    ...view,
    rewardState: view.rewardState as SurveyRewardState,
  });
}

function resultsObject(results: Results): SurveyResults {
  return Object.assign(new SurveyResults(), {
    survey: surveyObject(results.survey),
    answersCount: results.answersCount,
    questions: results.questions.map((question) =>
      Object.assign(new SurveyQuestionResults(), {
        ...question,
        kind: question.kind as SurveyQuestionKind,
      }),
    ),
  });
}

function pageObject<P extends object, T, N>(page: P, from: Page<T>, map: (item: T) => N) {
  return Object.assign(page, {
    nodes: from.items.map(map),
    pageInfo: { endCursor: from.nextCursor, hasNextPage: from.nextCursor !== null },
  });
}
