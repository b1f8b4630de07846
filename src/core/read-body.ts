/**
 * Reads an HTTP response body up to a byte cap. Node's `res.text()` / `res.json()` read whatever
 * arrives until the request's timeout: a proxy that answers with an endless or huge body would fill
 * the runner's memory first. Every body this project reads goes through here.
 */

/** The body as text, up to `maxBytes`; `cut` when the response had more (it is read no further). */
export async function readCapped(res: Response, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  if (!res.body) return { text: '', cut: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      cut = true;
      // Stops the transfer: the connection is dropped rather than drained.
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes)), cut };
}

