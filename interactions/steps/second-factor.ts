// The second factor: the default method first, "sign in another way" lists the others.
import type { Method } from '../../adapters/postgres/methods.ts';
import type { User } from '../../adapters/postgres/users.ts';
import { maskPhone } from '../../methods/phone-number.ts';
import { handlerFor } from '../factors/index.ts';
import { auditContext, interactionPath, render, saveJourney, type Journey, type Turn } from '../journey.ts';
import { continueJourney, journeyComplete, usableMethod, usableMethods } from './next.ts';

function pick(methods: Method[], wanted: unknown): Method | undefined {
  if (typeof wanted === 'string') return methods.find((m) => m.id === wanted);
  return methods.find((m) => m.isDefault) ?? methods[0];
}

export async function showSecondFactor(turn: Turn, journey: Journey): Promise<void> {
  const methods = await usableMethods(turn, journey.userId);
  if (!methods.length) return turn.ctx.redirect(interactionPath(turn, 'enrol'));
  const method = pick(methods, turn.ctx.query.method);
  if (!method) return turn.ctx.redirect(interactionPath(turn, 'second-factor'));
  await handlerFor(method.kind)!.show(turn, journey, method);
}

function describeMethod(turn: Turn, method: Method): string {
  const detail = method.phone ? maskPhone(method.phone) : method.label ?? '';
  return [turn.t(handlerFor(method.kind)!.pickerKey), detail].filter(Boolean).join(' · ');
}

export async function showPicker(turn: Turn, journey: Journey): Promise<void> {
  const methods = await usableMethods(turn, journey.userId);
  await render(turn, 'picker', {
    title: turn.t('mfa.picker.title'),
    choices: methods.map((m) => ({ href: `${interactionPath(turn, 'second-factor')}?method=${encodeURIComponent(m.id)}`, label: describeMethod(turn, m) })),
    passHref: interactionPath(turn, 'access-pass'),
    back: interactionPath(turn, 'second-factor'),
  });
}

export async function verifySecondFactor(turn: Turn, journey: Journey, user: User, methodId: string, fields: Record<string, string>): Promise<void> {
  const method = await usableMethod(turn, journey.userId, methodId);
  if (!method) return turn.ctx.redirect(interactionPath(turn, 'second-factor'));
  const handler = handlerFor(method.kind)!;
  let errorKey = 'mfa.invalidCode';
  const outcome = await turn.deps.regulator.attempt(`mfa:${method.kind}`, user.id, async () => {
    const result = await handler.verify(turn, journey, method, fields);
    if (!result.ok) errorKey = result.errorKey;
    return result.ok;
  });
  if (outcome !== 'ok') {
    await turn.deps.services.audit.record({
      type: 'signin.failure',
      outcome: 'failure',
      userId: user.id,
      username: user.username,
      factor: handler.factor,
      details: { reason: outcome === 'locked' ? 'locked' : errorKey, methodId: method.id },
      ...auditContext(turn),
    });
    // Locked or wrong, the same message: the budget's state is not something to reveal.
    return handler.show(turn, journey, method, turn.t(outcome === 'locked' ? 'mfa.invalidCode' : errorKey));
  }
  await turn.deps.services.methods.markUsed(method.id);
  journey.factors = [...journey.factors, handler.factor];
  // A journey that ends here is handed to oidc-provider by finishLogin; only one that goes on (or
  // may show a page between) needs what it proved on record.
  if (handler.afterVerify || !journeyComplete(turn, journey)) await saveJourney(turn, journey);
  if (await handler.afterVerify?.(turn, journey, user)) return;
  await continueJourney(turn, journey, user);
}
