/**
 * Parses text another program sent that should be a JSON object (a provider's answer, a proxy's status); undefined
 * for anything else: an empty body, HTML from something in between, an array, a bare value.
 */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
