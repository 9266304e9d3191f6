import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';

/** The apps' languages: English, and Persian laid out right to left. */
export type Locale = 'en' | 'fa';

const english = {
  walletTitle: 'My points',
  financeTitle: 'Finance console',
  language: 'Language',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signInAs: 'Sign in as',
  signInWithProvider: 'Sign in with the coalition account',
  devSignInNote: 'Development sign-in: choose a demo user.',
  loading: 'Loading…',
  error: 'Something went wrong',
  retry: 'Try again',
  total: 'Total value',
  balances: 'Balances',
  available: 'Available',
  pending: 'Pending',
  held: 'Held',
  expiringSoon: 'Expiring by {date}',
  unvalued: 'Not valued: {currencies}',
  history: 'History',
  loadMore: 'Load more',
  noMoreHistory: 'That is all.',
  chart: 'Points over time',
  tiers: 'Status',
  tierHeldBy: 'held by {source} until {date}',
  tierQualifying: 'Qualifying this period: {total}',
  tierNext: '{needed} more for {tier} by {date}',
  tierTop: 'Top tier',
  tierReview: 'Reviewed on {date}',
  tierMultiplier: 'Earns ×{multiplier}',
  tierDiscount: '{percent}% off',
  convert: 'Convert',
  convertFrom: 'From',
  convertTo: 'To',
  amount: 'Points to convert',
  getQuote: 'Get a quote',
  quote: 'Quote: {source} {sourceCurrency} (fee {fee}) give {target} {targetCurrency}',
  quoteExpiresIn: 'Firm for {seconds} s',
  quoteExpired: 'The quote has expired: ask for a new one.',
  converted: 'Converted: {target} {targetCurrency} added.',
  rewards: 'Rewards',
  offers: 'Offers for you',
  offerUntil: 'Until {date}',
  offerActivated: 'Activated: it applies at your next purchase',
  activate: 'Activate',
  affordable: 'You can afford this',
  shortBy: 'Short by {points} {currency}',
  affordableByConverting: 'Affordable by converting {points} {currency}',
  redeem: 'Redeem',
  redeemed: 'Redeemed: {reference}',
  redeemFailed: 'Not redeemed: {reason}',
  periods: 'Settlement periods',
  period: 'Period',
  status: 'Status',
  starts: 'Starts',
  ends: 'Ends',
  transfers: 'Transfers',
  closePeriod: 'Close',
  closed: 'Closed',
  open: 'Open',
  positions: 'Net positions',
  party: 'Party',
  receivable: 'Receivable',
  payable: 'Payable',
  position: 'Position',
  payments: 'Payment instructions',
  pays: '{payer} pays {payee} {amount}',
  whoPaysWhom: 'Who pays whom',
  statement: 'Statement',
  partner: 'Partner',
  openStatement: 'Open statement',
  lines: 'Lines',
  counterparty: 'Counterparty',
  kind: 'Kind',
  points: 'Points',
  money: 'Amount',
  reference: 'Reference',
  nextPage: 'Next page',
  downloadCsv: 'Download CSV',
  reconciliation: 'Reconciliation',
  uploadCsv: 'The partner’s CSV file',
  submit: 'Reconcile',
  exceptions: 'Exceptions',
  noExceptions: 'No exceptions.',
  ours: 'Ours',
  theirs: 'Theirs',
  resolve: 'Resolve with an adjustment',
  resolved: 'Resolved',
  liabilities: 'Liability per program',
  program: 'Program',
  outstanding: 'Outstanding points',
  referenceValue: 'Value per point',
  liability: 'Liability',
  choosePeriod: 'Choose a closed period to see its settlement.',
  analytics: 'Analytics',
  wholeCoalition: 'The whole coalition',
  fromDay: 'From (UTC day)',
  toDay: 'To (UTC day, included)',
  showAnalytics: 'Show analytics',
  activeMembers: 'Active members',
  earnAndBurn: 'Points earned and burned per day',
  day: 'Day',
  earned: 'Earned',
  earnReversed: 'Earned, refunded',
  burned: 'Burned',
  burnReversed: 'Burned, given back',
  membersByTier: 'Members by tier',
  membersBySegment: 'Members by segment',
  segment: 'Segment',
  tier: 'Tier',
  members: 'Members',
  breakage: 'Breakage (expired ÷ issued)',
  issued: 'Issued',
  expired: 'Expired',
  breakageRate: 'Rate',
  selectPeriod: 'Show',
};
export type MessageKey = keyof typeof english;

const persian: Record<MessageKey, string> = {
  walletTitle: 'امتیازهای من',
  financeTitle: 'کنسول مالی',
  language: 'زبان',
  signIn: 'ورود',
  signOut: 'خروج',
  signInAs: 'ورود به عنوان',
  signInWithProvider: 'ورود با حساب ائتلاف',
  devSignInNote: 'ورود آزمایشی: یک کاربر نمونه را انتخاب کنید.',
  loading: 'در حال بارگذاری…',
  error: 'خطایی رخ داد',
  retry: 'تلاش دوباره',
  total: 'ارزش کل',
  balances: 'موجودی‌ها',
  available: 'قابل استفاده',
  pending: 'در انتظار',
  held: 'رزرو شده',
  expiringSoon: 'منقضی تا {date}',
  unvalued: 'بدون ارزش‌گذاری: {currencies}',
  history: 'تاریخچه',
  loadMore: 'بیشتر',
  noMoreHistory: 'همین بود.',
  chart: 'امتیازها در طول زمان',
  tiers: 'سطح عضویت',
  tierHeldBy: 'از طریق {source} تا {date}',
  tierQualifying: 'امتیاز واجد شرایط این دوره: {total}',
  tierNext: '{needed} دیگر برای {tier} تا {date}',
  tierTop: 'بالاترین سطح',
  tierReview: 'بازبینی در {date}',
  tierMultiplier: 'کسب امتیاز ×{multiplier}',
  tierDiscount: '{percent}٪ تخفیف',
  convert: 'تبدیل',
  convertFrom: 'از',
  convertTo: 'به',
  amount: 'امتیاز برای تبدیل',
  getQuote: 'دریافت نرخ',
  quote: 'نرخ: {source} {sourceCurrency} (کارمزد {fee}) برابر {target} {targetCurrency}',
  quoteExpiresIn: 'معتبر تا {seconds} ثانیه',
  quoteExpired: 'نرخ منقضی شد: نرخ تازه بگیرید.',
  converted: 'تبدیل شد: {target} {targetCurrency} افزوده شد.',
  rewards: 'جوایز',
  offers: 'پیشنهادهای شما',
  offerUntil: 'تا {date}',
  offerActivated: 'فعال شد: در خرید بعدی شما اعمال می‌شود',
  activate: 'فعال‌سازی',
  affordable: 'قابل خرید',
  shortBy: '{points} {currency} کم دارید',
  affordableByConverting: 'قابل خرید با تبدیل {points} {currency}',
  redeem: 'دریافت جایزه',
  redeemed: 'دریافت شد: {reference}',
  redeemFailed: 'انجام نشد: {reason}',
  periods: 'دوره‌های تسویه',
  period: 'دوره',
  status: 'وضعیت',
  starts: 'آغاز',
  ends: 'پایان',
  transfers: 'تراکنش‌ها',
  closePeriod: 'بستن',
  closed: 'بسته',
  open: 'باز',
  positions: 'موقعیت‌های خالص',
  party: 'طرف',
  receivable: 'دریافتنی',
  payable: 'پرداختنی',
  position: 'موقعیت',
  payments: 'دستورهای پرداخت',
  pays: '{payer} به {payee} {amount} می‌پردازد',
  whoPaysWhom: 'چه کسی به چه کسی می‌پردازد',
  statement: 'صورت‌حساب',
  partner: 'شریک',
  openStatement: 'نمایش صورت‌حساب',
  lines: 'سطرها',
  counterparty: 'طرف مقابل',
  kind: 'نوع',
  points: 'امتیاز',
  money: 'مبلغ',
  reference: 'مرجع',
  nextPage: 'صفحهٔ بعد',
  downloadCsv: 'دریافت CSV',
  reconciliation: 'تطبیق',
  uploadCsv: 'فایل CSV شریک',
  submit: 'تطبیق بده',
  exceptions: 'مغایرت‌ها',
  noExceptions: 'مغایرتی نیست.',
  ours: 'ما',
  theirs: 'آنها',
  resolve: 'رفع با تعدیل',
  resolved: 'رفع شد',
  liabilities: 'بدهی هر برنامه',
  program: 'برنامه',
  outstanding: 'امتیازهای باقی‌مانده',
  referenceValue: 'ارزش هر امتیاز',
  liability: 'بدهی',
  choosePeriod: 'یک دورهٔ بسته را برای دیدن تسویه‌اش انتخاب کنید.',
  selectPeriod: 'نمایش',
  analytics: 'تحلیل‌ها',
  wholeCoalition: 'کل ائتلاف',
  fromDay: 'از (روز UTC)',
  toDay: 'تا (روز UTC، شامل)',
  showAnalytics: 'نمایش تحلیل‌ها',
  activeMembers: 'اعضای فعال',
  earnAndBurn: 'امتیازهای کسب‌شده و خرج‌شده در هر روز',
  day: 'روز',
  earned: 'کسب‌شده',
  earnReversed: 'کسب‌شده، بازپس‌گرفته',
  burned: 'خرج‌شده',
  burnReversed: 'خرج‌شده، برگشتی',
  membersByTier: 'اعضا بر اساس سطح',
  membersBySegment: 'اعضا بر اساس بخش',
  segment: 'بخش',
  tier: 'سطح',
  members: 'اعضا',
  breakage: 'امتیازهای منقضی (منقضی ÷ صادرشده)',
  issued: 'صادرشده',
  expired: 'منقضی‌شده',
  breakageRate: 'نرخ',
};

const messages: Record<Locale, Record<MessageKey, string>> = { en: english, fa: persian };
const intlLocale: Record<Locale, string> = { en: 'en-GB', fa: 'fa-IR' };

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, values?: Record<string, string>): string;
  /** Points (Int64 strings) and decimal amounts, with the locale's digits and separators. */
  number(value: string | bigint | number): string;
  /** A date (and time) in the locale's calendar: Persian dates in Persian. */
  date(value: string | Date, withTime?: boolean): string;
}

const I18nContext = createContext<I18n | undefined>(undefined);
const storageKey = 'coalition.locale';

function initialLocale(): Locale {
  const stored = localStorage.getItem(storageKey);
  if (stored === 'en' || stored === 'fa') return stored;
  return navigator.language.startsWith('fa') ? 'fa' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.documentElement.dir = locale === 'fa' ? 'rtl' : 'ltr';
    localStorage.setItem(storageKey, locale);
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const numbers = new Intl.NumberFormat(intlLocale[locale], { maximumFractionDigits: 20 });
    const dates = new Intl.DateTimeFormat(intlLocale[locale], { dateStyle: 'medium' });
    const dateTimes = new Intl.DateTimeFormat(intlLocale[locale], {
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    return {
      locale,
      setLocale,
      t: (key, values = {}) =>
        messages[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? ''),
      number: (value) =>
        numbers.format(typeof value === 'string' ? (value as Intl.StringNumericLiteral) : value),
      date: (value, withTime = false) =>
        (withTime ? dateTimes : dates).format(typeof value === 'string' ? new Date(value) : value),
    };
  }, [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n needs an I18nProvider above it');
  return i18n;
}

export function LanguageSelect() {
  const { locale, setLocale, t } = useI18n();
  return (
    <label className="language">
      {t('language')}{' '}
      <select value={locale} onChange={(event) => setLocale(event.target.value as Locale)}>
        <option value="en">English</option>
        <option value="fa">فارسی</option>
      </select>
    </label>
  );
}
