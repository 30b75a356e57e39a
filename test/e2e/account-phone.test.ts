// Adding a phone on the Security info page: the number is checked, a code proves it, and only then
// can it be used; numbers that cannot work get a clear message and nothing is kept.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConsoleSender, type ConsoleSender } from '../../adapters/twilio/console-sender.ts';
import { Agent, findForm, type Page } from '../helpers/agent.ts';
import { createUser, firstSignIn, steppingClock } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import { createRp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'phone owner password';

describe('adding a phone on the Security info page', () => {
  const clock = steppingClock();
  const sender: ConsoleSender = createConsoleSender(() => undefined);
  let server: TestServer;
  let agent: Agent;
  let userId: string;

  const url = (path: string) => `${server.url}${path}`;

  beforeAll(async () => {
    server = await startTestServer({ now: clock.now, phoneSender: sender });
    const rp = await createRp(server.url, server.services);
    userId = (await createUser(server.services, 'mori', PASSWORD)).id;
    const { secret } = await firstSignIn(rp, 'mori', PASSWORD, clock);
    agent = new Agent();
    clock.nextStep();
    const login = await agent.follow(await agent.get(url('/account')));
    const mfa = await agent.submit(login, '/login', { username: 'mori', password: PASSWORD });
    const page = await agent.submit(mfa, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) });
    expect(page.url).toBe(url('/account'));
    expect(page.html).toContain('id="add-phone"');
  });
  afterAll(() => server.close());

  async function submitNumber(fields: Record<string, string>): Promise<Page> {
    const form = await agent.get(url('/account/add/phone'));
    expect(form.html).toContain('日本 (+81)');
    return agent.submit(form, '/account/add/phone', fields);
  }

  it('refuses a number that cannot be one, keeping nothing', async () => {
    const page = await submitNumber({ kind: 'mobile', number: 'abc-phone', via: 'sms', extension: '' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('電話番号として認識できません');
    expect(await server.services.methods.listForUser(userId)).toHaveLength(1);
  });

  it('refuses text messages to a landline', async () => {
    const page = await submitNumber({ kind: 'office', number: '03-1234-5678', via: 'sms', extension: '' });
    expect(page.status).toBe(400);
  });

  it('registers a mobile phone once the texted code is typed', async () => {
    const codePage = await submitNumber({ kind: 'mobile', number: '０９０-１２３４-５６７８', via: 'sms', extension: '' });
    expect(codePage.url).toMatch(/\/account\/add\/phone\/[^/]+\/[^/]+$/);
    const pending = (await server.services.methods.listForUser(userId)).find((m) => m.kind === 'sms')!;
    expect(pending).toMatchObject({ status: 'pending', phone: '+819012345678', phoneKind: 'mobile' });
    const wrong = await agent.submit(codePage, codePage.url.replace(server.url, ''), { code: '000000' });
    expect(wrong.status).toBe(400);
    const code = /(\d{6})/.exec(sender.lastMessage('+819012345678')!.text)![1]!;
    const done = await agent.submit(codePage, codePage.url.replace(server.url, ''), { code });
    expect(done.url).toBe(url('/account?done=add'));
    expect((await server.services.methods.find(pending.id))!.status).toBe('active');
    expect((await server.services.audit.query({ userId, type: 'method.add' })).some((e) => e.factor === 'sms')).toBe(true);
    expect(findForm(done.html, '/account/signout-all').hidden.csrf).toBeTruthy();
  });
});
