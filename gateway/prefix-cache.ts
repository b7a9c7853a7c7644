/**
 * A reading's identity (channel, quantity, unit) is the same every poll cycle, so the text a
 * serialiser writes for it is rendered once and looked up afterwards: three Map lookups on
 * strings whose hashes V8 keeps, instead of three escapes and three concatenations per reading.
 * Bounded: a config that renames channels on every reload cannot grow it without limit.
 */
export class PrefixCache {
  private readonly byUnit = new Map<string, Map<string, Map<string, string>>>();
  private size = 0;

  constructor(
    private readonly render: (channel: string, quantity: string, unit: string) => string,
    private readonly maxEntries = 100_000,
  ) {}

  get(channel: string, quantity: string, unit: string): string {
    let byQuantity = this.byUnit.get(unit);
    if (byQuantity === undefined) this.byUnit.set(unit, (byQuantity = new Map()));
    let byChannel = byQuantity.get(quantity);
    if (byChannel === undefined) byQuantity.set(quantity, (byChannel = new Map()));
    let text = byChannel.get(channel);
    if (text === undefined) {
      if (++this.size > this.maxEntries) {
        this.byUnit.clear();
        this.size = 0;
        return this.get(channel, quantity, unit);
      }
      text = this.render(channel, quantity, unit);
      byChannel.set(channel, text);
    }
    return text;
  }
}
