// Codes as people type them: full-width digits (１２３４５６), spaces and hyphens are normalised away.

/** Digits only, or undefined when what remains is not a run of 4–12 digits. */
export function normaliseCode(input: string): string | undefined {
  const cleaned = input.normalize('NFKC').replace(/[\s\-‐‑–—―ー−]/g, '');
  return /^\d{4,12}$/.test(cleaned) ? cleaned : undefined;
}
