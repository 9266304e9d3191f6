import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { messages as english } from './messages.en';
import { messages as persian } from './messages.fa';

/**
 * English and Persian. Numbers, money and dates go through Intl in the chosen locale, so
 * Persian shows Persian digits and the Persian calendar; the document's `dir` follows the
 * language, and the layout uses logical CSS properties, so it mirrors right to left.
 */
export type Locale = 'en' | 'fa-IR';
export type MessageKey = keyof typeof english;

const catalogs: Record<Locale, Record<MessageKey, string>> = { en: english, 'fa-IR': persian };
export const locales: { code: Locale; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'fa-IR', name: 'فارسی' },
];
const storageKey = 'coalition.locale';

export interface I18n {
  locale: Locale;
  dir: 'ltr' | 'rtl';
  setLocale(locale: Locale): void;
  /** The message, with `{name}` placeholders filled (numbers should come formatted). */
  t(key: MessageKey, values?: Record<string, string>): string;
  /** An integer given as a decimal string (points are 64-bit: never through a float). */
  points(value: string | bigint): string;
  number(value: number): string;
  /** A decimal amount of money, exactly as the API gives it ("12.34"). */
  money(amount: string, currency: string): string;
  date(iso: string): string;
  dateTime(iso: string): string;
}

const I18nContext = createContext<I18n | undefined>(undefined);

function initialLocale(): Locale {
  const asked = new URLSearchParams(location.search).get('lang');
  const stored = asked ?? localStorage.getItem(storageKey);
  return stored === 'fa-IR' || stored === 'fa' ? 'fa-IR' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const value = useMemo<I18n>(() => {
    const catalog = catalogs[locale];
    const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    const dateTimeFormat = new Intl.DateTimeFormat(locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    return {
      locale,
      dir: locale === 'fa-IR' ? 'rtl' : 'ltr',
      setLocale: (next) => {
        localStorage.setItem(storageKey, next);
        setLocaleState(next);
      },
      t: (key, values) =>
        catalog[key].replace(/\{(\w+)\}/g, (_, name: string) => values?.[name] ?? `{${name}}`),
      points: (value) => integer.format(typeof value === 'bigint' ? value : BigInt(value)),
      number: (value) => integer.format(value),
      money: (amount, currency) =>
        new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
          amount as Intl.StringNumericLiteral,
        ),
      date: (iso) => dateFormat.format(new Date(iso)),
      dateTime: (iso) => dateTimeFormat.format(new Date(iso)),
    };
  }, [locale]);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.documentElement.dir = value.dir;
  }, [locale, value.dir]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
