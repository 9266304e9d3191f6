import { Migration } from '@mikro-orm/migrations';

/**
 * Feedback (issue 18, item 3): partners' short surveys, members' answers (one per member and
 * survey, idempotent on the member's own answer id) and each answer's responses per question,
 * kept in their own rows so results aggregate with plain GROUP BYs.
 *
 * A survey's questions may change only until its first answer (the service checks it, holding
 * the survey row; answers take a share lock on it), so every answer was given to the questions
 * the survey still shows. Free text is stored with the answer's consent flag; partners read
 * only the text of answers that consented (the service filters; erasure empties the text).
 */
export class Migration0060MemberSurveys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table survey (
  id text primary key constraint survey_id_format check (id ~ '^svy_[a-z0-9]{26}$'),
  partner_id text not null references partner (id),
  title text not null constraint survey_title_length check (length(title) between 1 and 200),
  -- Validated by the service (gateway/feedback/survey-definition.ts); an array of questions.
  questions jsonb not null constraint survey_questions_array check (jsonb_typeof(questions) = 'array'),
  opens_at timestamptz not null,
  closes_at timestamptz not null,
  -- The member event an answer records (recordMemberEvent), so the partner's event rules reward it.
  reward_event_type text,
  reward_currency text references currency (code),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint survey_window check (closes_at > opens_at),
  constraint survey_reward_whole check ((reward_event_type is null) = (reward_currency is null))
);
create index survey_by_partner on survey (partner_id, id desc);

create table survey_answer (
  id text primary key constraint survey_answer_id_format check (id ~ '^ans_[a-z0-9]{26}$'),
  survey_id text not null references survey (id),
  member_id text not null references member (id),
  -- The member's own id of this answer: a retry with it returns the same answer.
  client_answer_id text not null constraint survey_answer_client_id_length check (length(client_answer_id) between 1 and 200),
  request_hash text not null,
  consent_to_share_text boolean not null,
  -- none: the survey rewards nothing; pending: the member event is not recorded yet; recorded.
  reward_state text not null constraint survey_answer_reward_state check (reward_state in ('none', 'pending', 'recorded')),
  reward_points bigint constraint survey_answer_reward_points check (reward_points >= 0),
  reward_transfer_id text,
  created_at timestamptz not null,
  constraint survey_answer_once unique (survey_id, member_id),
  constraint survey_answer_client_once unique (member_id, client_answer_id),
  constraint survey_answer_reward_recorded check ((reward_state = 'recorded') = (reward_points is not null))
);
create index survey_answer_by_survey on survey_answer (survey_id, id desc);

create table survey_response (
  answer_id text not null references survey_answer (id),
  survey_id text not null references survey (id),
  question_id text not null,
  rating smallint constraint survey_response_rating_range check (rating between 1 and 10),
  choice_ids text[],
  text_value text constraint survey_response_text_length check (length(text_value) <= 2000),
  primary key (answer_id, question_id),
  constraint survey_response_one_kind check (
    num_nonnulls(rating, choice_ids, text_value) = 1
    -- Erasure empties a text response: it stays counted, without its words.
    or (rating is null and choice_ids is null and text_value is null))
);
create index survey_response_by_question on survey_response (survey_id, question_id);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
