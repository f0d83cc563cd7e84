/** A provider's answer in one line of bounded length: what operators read in outcomes and `clusterctl push test`. */
export function brief(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** The send-time Linphone shows: UTC, `YYYY-MM-DD HH:MM:SS` (Flexisip's getPushTimeStamp). */
export function sendTime(now: number): string {
  return new Date(now).toISOString().slice(0, 19).replace('T', ' ');
}
