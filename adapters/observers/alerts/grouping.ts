import type { Alert } from './alert-sink.js';

export interface GroupingOptions {
  /** At most one page per tenant within this long (record time); later pages for it are grouped into it. Default 1 h. */
  pageWindowMs?: number;
  /** At most one ticket per tenant and alert kind within this long; a page for the tenant covers its tickets too. Default 24 h. */
  ticketWindowMs?: number;
}

/**
 * Groups alerts per tenant so one incident is one notification: the first page for a tenant goes out,
 * and every alert for that tenant in the next `pageWindowMs` (another detector seeing the same spike, the
 * burn continuing) is folded into it; tickets go out once per tenant and kind per `ticketWindowMs`.
 * Folded alerts are counted, and the count rides on the tenant's next notification (`data.grouped`).
 */
export class AlertGrouper {
  private readonly pageMs: number;
  private readonly ticketMs: number;
  private readonly lastPage = new Map<string, number>();
  private readonly lastTicket = new Map<string, number>();
  private readonly folded = new Map<string, number>();
  grouped = 0;

  constructor(o: GroupingOptions = {}) {
    this.pageMs = o.pageWindowMs ?? 3_600_000;
    this.ticketMs = o.ticketWindowMs ?? 86_400_000;
  }

  /** The alert to send (with `data.grouped` when earlier ones were folded), or undefined when it is folded. */
  admit(a: Alert): Alert | undefined {
    const t = Date.parse(a.at);
    const page = this.lastPage.get(a.tenant);
    const paged = page !== undefined && t - page < this.pageMs;
    if (a.severity === 'page') {
      if (paged) return this.fold(a);
      this.lastPage.set(a.tenant, t);
      return this.release(a);
    }
    const key = `${a.tenant}\u0000${a.kind}`;
    const ticket = this.lastTicket.get(key);
    if (paged || (ticket !== undefined && t - ticket < this.ticketMs)) return this.fold(a);
    this.lastTicket.set(key, t);
    return this.release(a);
  }

  private fold(a: Alert): undefined {
    this.grouped++;
    this.folded.set(a.tenant, (this.folded.get(a.tenant) ?? 0) + 1);
    return undefined;
  }

  private release(a: Alert): Alert {
    const n = this.folded.get(a.tenant);
    if (!n) return a;
    this.folded.delete(a.tenant);
    return { ...a, data: { ...a.data, grouped: n } };
  }
}
