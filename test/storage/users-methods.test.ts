// Users and their second factors on PGlite and the real PostgreSQL: case-insensitive names, imports,
// activation and the default method, and TOTP steps that can be spent only once under concurrency.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MethodRepository, type MethodKind } from '../../adapters/postgres/methods.ts';
import { DuplicateUserError, UserRepository } from '../../adapters/postgres/users.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe.each(DB_KINDS)('users and methods (%s)', (kind) => {
  let testDb: TestDb;
  let users: UserRepository;
  let methods: MethodRepository;

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    users = new UserRepository(testDb.db);
    methods = new MethodRepository(testDb.db);
  });
  afterAll(() => testDb.close());

  describe('users', () => {
    it('creates a user and finds it by id and by name in any case', async () => {
      const name = unique('Tanaka');
      const user = await users.create({ username: name, email: `${name}@example.ac.jp`, name: '田中 太郎', locale: 'ja', passwordHash: '$argon2id$x' });
      expect(user).toMatchObject({ username: name, name: '田中 太郎', source: 'local', passwordHash: '$argon2id$x', disabledAt: null });
      expect(user.id).toMatch(/^u_/);
      expect((await users.findById(user.id))?.username).toBe(name);
      expect((await users.findByUsername(name.toUpperCase()))?.id).toBe(user.id);
      expect((await users.findByUsername(name.toLowerCase()))?.id).toBe(user.id);
      expect(await users.findByUsername(`${name}x`)).toBeUndefined();
    });

    it('refuses a second user whose name differs only in case', async () => {
      const name = unique('Suzuki');
      await users.create({ username: name });
      await expect(users.create({ username: name.toLowerCase() })).rejects.toBeInstanceOf(DuplicateUserError);
      await expect(users.create({ username: name.toUpperCase() })).rejects.toMatchObject({ code: 'duplicate_user' });
    });

    it('of 10 parallel creations of one name exactly one succeeds', async () => {
      const name = unique('race');
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => users.create({ username: i % 2 ? name.toUpperCase() : name })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateUserError);
    });

    it('keeps names with unicode and quotes as they are', async () => {
      const name = `o'brien-${randomBytes(3).toString('hex')}-山田`;
      const user = await users.create({ username: name });
      expect((await users.findByUsername(name))?.id).toBe(user.id);
    });

    it('upsert creates, then updates the same user by name in any case and keeps what it was not given', async () => {
      const name = unique('Sato');
      const first = await users.upsert({ username: name, email: 'a@example.ac.jp', name: 'Sato A', locale: 'en', importedPhone: '+819012345678' });
      expect(first.created).toBe(true);
      const second = await users.upsert({ username: name.toUpperCase(), email: 'b@example.ac.jp', name: 'Sato B' });
      expect(second.created).toBe(false);
      expect(second.user.id).toBe(first.user.id);
      expect(second.user).toMatchObject({ username: name, email: 'b@example.ac.jp', name: 'Sato B', locale: 'en', importedPhone: '+819012345678' });
    });

    it('update, disable and enable', async () => {
      const user = await users.create({ username: unique('ito') });
      await users.update(user.id, { email: 'ito@example.ac.jp', locale: 'en' });
      await users.setDisabled(user.id, true);
      const disabled = await users.findById(user.id);
      expect(disabled).toMatchObject({ email: 'ito@example.ac.jp', locale: 'en' });
      expect(disabled!.disabledAt).toBeInstanceOf(Date);
      await users.setDisabled(user.id, false);
      expect((await users.findById(user.id))!.disabledAt).toBeNull();
    });
  });

  describe('methods', () => {
    async function userWith(...kinds: MethodKind[]) {
      const user = await users.create({ username: unique('m') });
      const created = [];
      for (const k of kinds) created.push(await methods.create({ userId: user.id, kind: k, secretEnc: 'v1.k1.x.y' }));
      return { user, methods: created };
    }

    it('a new method is pending and not listed as active until activated', async () => {
      const { user, methods: [totp] } = await userWith('totp');
      expect(totp!.status).toBe('pending');
      expect(totp!.isDefault).toBe(false);
      expect(await methods.listForUser(user.id, { activeOnly: true })).toEqual([]);
      await methods.activate(totp!.id);
      const active = await methods.listForUser(user.id, { activeOnly: true });
      expect(active.map((m) => [m.id, m.status, m.isDefault])).toEqual([[totp!.id, 'active', true]]);
    });

    it('the first active method is the default; later ones are not; backup codes never are', async () => {
      const { user, methods: [codes, sms, totp] } = await userWith('backup_codes', 'sms', 'totp');
      await methods.activate(codes!.id);
      await methods.activate(sms!.id);
      await methods.activate(totp!.id);
      const byId = new Map((await methods.listForUser(user.id)).map((m) => [m.id, m.isDefault]));
      expect(byId.get(codes!.id)).toBe(false);
      expect(byId.get(sms!.id)).toBe(true);
      expect(byId.get(totp!.id)).toBe(false);
    });

    it('setDefault moves the default to another active method of the same user only', async () => {
      const { user, methods: [sms, totp, pending, codes] } = await userWith('sms', 'totp', 'voice', 'backup_codes');
      await methods.activate(sms!.id);
      await methods.activate(totp!.id);
      await methods.activate(codes!.id);
      expect(await methods.setDefault(user.id, totp!.id)).toBe(true);
      expect((await methods.find(totp!.id))!.isDefault).toBe(true);
      expect((await methods.find(sms!.id))!.isDefault).toBe(false);
      expect(await methods.setDefault(user.id, pending!.id)).toBe(false);
      expect(await methods.setDefault(user.id, codes!.id)).toBe(false);
      const stranger = await userWith('totp');
      expect(await methods.setDefault(stranger.user.id, totp!.id)).toBe(false);
      expect((await methods.find(totp!.id))!.isDefault).toBe(true);
    });

    it('removing the default hands it to the strongest remaining method (authenticator before voice before SMS)', async () => {
      const { user, methods: [sms, voice, totp, backup] } = await userWith('sms', 'voice', 'totp', 'backup_codes');
      for (const m of [sms, voice, totp, backup]) await methods.activate(m!.id);
      expect((await methods.find(sms!.id))!.isDefault).toBe(true);
      expect(await methods.remove(user.id, sms!.id)).toBe(true);
      expect((await methods.find(totp!.id))!.isDefault).toBe(true);
      expect(await methods.remove(user.id, totp!.id)).toBe(true);
      expect((await methods.find(voice!.id))!.isDefault).toBe(true);
      expect(await methods.remove(user.id, voice!.id)).toBe(true);
      expect((await methods.find(backup!.id))!.isDefault).toBe(false);
      expect(await methods.remove(user.id, voice!.id)).toBe(false);
    });

    it('remove refuses another user’s method', async () => {
      const a = await userWith('totp');
      const b = await userWith('totp');
      expect(await methods.remove(b.user.id, a.methods[0]!.id)).toBe(false);
      expect(await methods.find(a.methods[0]!.id)).toBeDefined();
    });

    it('ensureDefault picks one when none is default and changes nothing when one is', async () => {
      const { user, methods: [sms, totp] } = await userWith('sms', 'totp');
      await methods.activate(sms!.id);
      await methods.activate(totp!.id);
      await testDb.db.query('UPDATE methods SET is_default = false WHERE user_id = $1', [user.id]);
      await methods.ensureDefault(user.id);
      expect((await methods.find(totp!.id))!.isDefault).toBe(true);
      await methods.ensureDefault(user.id);
      const defaults = (await methods.listForUser(user.id)).filter((m) => m.isDefault);
      expect(defaults.map((m) => m.id)).toEqual([totp!.id]);
    });

    it('removePending drops only pending methods of that kind', async () => {
      const { user, methods: [active, pending, pendingSms] } = await userWith('totp', 'totp', 'sms');
      await methods.activate(active!.id);
      await methods.removePending(user.id, 'totp');
      expect((await methods.listForUser(user.id)).map((m) => m.id).sort()).toEqual([active!.id, pendingSms!.id].sort());
      expect(await methods.find(pending!.id)).toBeUndefined();
    });

    it('a TOTP step is used once: 20 parallel attempts → exactly one true', async () => {
      const { methods: [totp] } = await userWith('totp');
      const step = 59_000_123;
      const results = await Promise.all(Array.from({ length: 20 }, () => methods.useTotpStep(totp!.id, step)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await methods.useTotpStep(totp!.id, step)).toBe(false);
      // Another step, or the same step on another method, is still free.
      expect(await methods.useTotpStep(totp!.id, step + 1)).toBe(true);
      const other = await userWith('totp');
      expect(await methods.useTotpStep(other.methods[0]!.id, step)).toBe(true);
    });

    it('deleting a user deletes their methods', async () => {
      const { user, methods: [totp] } = await userWith('totp');
      await testDb.db.query('DELETE FROM users WHERE id = $1', [user.id]);
      expect(await methods.find(totp!.id)).toBeUndefined();
    });
  });
});
