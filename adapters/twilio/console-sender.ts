// Development PhoneSender: nothing leaves the machine; messages are printed, clearly marked, and the
// last one per number is kept for the development-only page that shows it.
import { randomBytes } from 'node:crypto';
import type { PhoneSender } from './sender.ts';
import { describeTwiml } from './twiml.ts';

export interface ConsoleMessage {
  id: string;
  kind: 'sms' | 'call';
  /** The SMS body, or what the call says. */
  text: string;
  /** Calls only: the TwiML as it would have been sent to Twilio. */
  twiml?: string;
}

export interface ConsoleSender extends PhoneSender {
  lastMessage(to: string): ConsoleMessage | undefined;
}

function devId(prefix: 'SM' | 'CA'): string {
  return `dev-${prefix}${randomBytes(16).toString('hex')}`;
}

function summarise(twiml: string): string {
  const { says, gather } = describeTwiml(twiml);
  const keys = gather ? ` [waits for a key → ${gather.action}]` : '';
  return `${says.join(' / ')}${keys}`;
}

export function createConsoleSender(log: (line: string) => void = console.log): ConsoleSender {
  const last = new Map<string, ConsoleMessage>();

  function keep(to: string, message: ConsoleMessage): { id: string } {
    last.set(to, message);
    return { id: message.id };
  }

  return {
    async sendSms(to, body) {
      log(`[dev SMS → ${to}] ${body}`);
      return keep(to, { id: devId('SM'), kind: 'sms', text: body });
    },
    async placeCall(to, twiml) {
      const text = summarise(twiml);
      log(`[dev CALL → ${to}] ${text}`);
      return keep(to, { id: devId('CA'), kind: 'call', text, twiml });
    },
    lastMessage(to) {
      return last.get(to);
    },
  };
}
