// Server-sent events over fetch().
//
// EventSource cannot send an Authorization header, so the stream is read with fetch() and a
// ReadableStream reader, and parsed here as the HTML standard's "event stream interpretation"
// says: lines end in CRLF, LF or CR; "field: value" with one optional space after the colon;
// data lines joined with "\n"; a blank line dispatches; ":" starts a comment; the last event
// id persists between events and is sent back as Last-Event-ID on reconnection; "retry"
// sets the reconnection delay.

import { api, ApiError } from "./api.js";
import { sleep } from "./dom.js";

export class EventStreamParser {
  constructor() {
    this.lastEventId = "";
    this.retry = null;
    this._buffer = "";
    this._type = "";
    this._data = [];
    this._started = false;
    this._pendingCR = false;
  }

  /** Feed decoded text; returns the events it completes: {type, data, id}. */
  push(text) {
    if (!this._started && text.length) {
      this._started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this._pendingCR && text.startsWith("\n")) text = text.slice(1);
    this._pendingCR = false;
    this._buffer += text;
    const events = [];
    let start = 0;
    for (let i = 0; i < this._buffer.length; i++) {
      const c = this._buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this._buffer.slice(start, i);
      if (c === "\r") {
        if (i + 1 === this._buffer.length) this._pendingCR = true;
        else if (this._buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
      const event = this._line(line);
      if (event) events.push(event);
    }
    this._buffer = this._buffer.slice(start);
    return events;
  }

  _line(line) {
    if (line === "") return this._dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this._type = value;
    else if (field === "data") this._data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  _dispatch() {
    const type = this._type || "message";
    const data = this._data;
    this._type = "";
    this._data = [];
    if (data.length === 0) return null;
    return { type, data: data.join("\n"), id: this.lastEventId };
  }
}

/**
 * Follow an event stream until `onEvent` returns false, the signal aborts, or the server
 * answers a 4xx other than 429. Reconnects after a dropped or ended stream, resuming after
 * the last event id it saw.
 */
export async function followEvents(path, { onEvent, signal, onError }) {
  const parser = new EventStreamParser();
  let delay = 2000;
  while (!signal.aborted) {
    try {
      const headers = { Accept: "text/event-stream" };
      if (parser.lastEventId) headers["Last-Event-ID"] = parser.lastEventId;
      const response = await api(path, { headers, signal, raw: true });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (onEvent(event) === false) {
            reader.cancel().catch(() => {});
            return;
          }
        }
      }
      if (parser.retry !== null) delay = parser.retry;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status !== 429 && error.status < 500) {
        onError?.(error);
        return;
      }
      if (error instanceof ApiError && error.retryAfter) delay = error.retryAfter * 1000;
    }
    await sleep(delay, signal);
  }
}
