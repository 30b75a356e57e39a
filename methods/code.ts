// Codes as people type them: full-width digits (１２３４５６), spaces and hyphens are normalised away.

/** Full-width forms become ASCII (NFKC); spaces, hyphens and their look-alikes (ー from IMEs) go. */
export function stripSeparators(input: string): string {
  return input.normalize('NFKC').replace(/[\s\-‐‑‒–—―−ー_]/gu, '');
}

/** Digits only, or undefined when what remains is not a run of 4–12 digits. */
export function normaliseCode(input: string): string | undefined {
  const cleaned = stripSeparators(input);
  return /^\d{4,12}$/.test(cleaned) ? cleaned : undefined;
}
