// What several views do alike: fill a part of the page from the API, submit a form, delete.

import { api, describe, unspoken } from "../api.js";
import { h, replace } from "../dom.js";

export function errorBox(text) {
  return h("div", { class: "notice notice-error", role: "alert" }, text);
}

/** `container` shows what `load()` makes, or why it could not (a 401 is the key prompt's). */
export async function fill(container, load, signal) {
  try {
    replace(container, await load());
  } catch (error) {
    if (!unspoken(error, signal)) replace(container, errorBox(describe(error)));
  }
}

/** A form's submit handler: `action` runs with `button` disabled; a failure is told as `what`. */
export function onSubmit(button, what, action, notify) {
  return async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      notify(`${what}: ${describe(error)}`, "error");
    } finally {
      button.disabled = false;
    }
  };
}

/** A "Delete" button: asks, deletes `path`, then shows `after`. */
export function deleteButton(what, path, after, { navigate, notify }) {
  return h(
    "button",
    {
      type: "button",
      class: "ghost",
      on: {
        click: async () => {
          if (!confirm(`Delete ${what}?`)) return;
          try {
            await api(path, { method: "DELETE" });
            navigate(after);
          } catch (error) {
            notify(describe(error), "error");
          }
        },
      },
    },
    "Delete",
  );
}
