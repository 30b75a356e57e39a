// i18next with Japanese as the default language and English beside it.
import i18next, { type TFunction } from 'i18next';
import type { ConfigProblem } from '../config/index.ts';
import en from '../locales/en/index.ts';
import ja from '../locales/ja/index.ts';

export const LANGUAGES = ['ja', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'ja';

const instance = i18next.createInstance();
void instance.init({
  resources: { ja: { translation: ja }, en: { translation: en } },
  lng: DEFAULT_LANG,
  fallbackLng: 'en',
  initImmediate: false,
  interpolation: { escapeValue: false },
  returnNull: false,
} as Parameters<typeof instance.init>[0]);

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function translator(lang: Lang): TFunction {
  return instance.getFixedT(lang);
}

/** First supported language in a list such as ui_locales ("en ja") or Accept-Language. */
export function firstSupported(list: string | undefined): Lang | undefined {
  if (!list) return undefined;
  for (const part of list.split(/[\s,]+/)) {
    const tag = part.split(';')[0]!.trim().toLowerCase().split('-')[0];
    if (isLang(tag)) return tag;
  }
  return undefined;
}

// Staff are in Japan: dates are shown in its time, whatever the server's own zone.
const TIME_ZONE = 'Asia/Tokyo';

/** A date and time as staff read it in their language (not an ISO string in UTC). */
export function formatDateTime(lang: Lang, date: Date): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE }).format(date);
}

/** Why one configuration value is refused, in the translator's language. */
export function describeConfigProblem(t: TFunction, problem: ConfigProblem): string {
  return t(`config.problems.${problem.reason}`, problem.params ?? {});
}
