// The store page: today's capacity (set a new limit when staff come or go) and the lines to pick, reject, ship or
// hand over. A store key opens its own store; an operator names one.
import { api, act, showDone, newEventId, ApiProblem } from "./dom.js";
import { autoRefresh, lineBoard, signInAtLocation } from "./lines.js";

signInAtLocation("store", open);

async function open(store) {
  const path = `/api/v1/locations/${encodeURIComponent(store)}/capacity`;
  // Looked up first: a store that is none (a typo of an operator's) leaves the page on the store it showed, its forms
  // acting on that one.
  const capacity = await api("GET", path);
  document.querySelector("h1").textContent = `Store ${store}`;
  const board = lineBoard(document.getElementById("lines"), store, ["accepted", "picked", "packed", "shipped", "readyForPickup", "pickedUp", "rejected"]);
  const show = capacity => {
    document.getElementById("booked").textContent = capacity.booked;
    document.getElementById("limit").textContent = capacity.limit;
    document.getElementById("overbooked").hidden = !capacity.overbooked;
  };
  const form = document.getElementById("capacity-form");
  form.onsubmit = event => {
    event.preventDefault();
    act(form.querySelector("button"), async () => {
      show(await api("PUT", path, { limit: Number(form.elements.limit.value) }));
      form.reset();
      showDone("Today's limit is set.");
    });
  };
  const refresh = document.getElementById("refresh");
  const again = async () => { show(await api("GET", path)); await board.load(); };
  refresh.onclick = () => act(refresh, again);
  autoRefresh(document.getElementById("lines"), again);
  stock(store);
  show(capacity);
  await board.load();
}

/** A slot of the store: look an article up, and set the units counted on the shelf. A count keeps its id until the
 * engine took it, so a click after a lost answer stores the count once (and units sold meanwhile stay sold). */
function stock(store) {
  const find = document.getElementById("stock-find");
  const count = document.getElementById("stock-count");
  const pending = new Map();
  let sku = null;
  let version = null; // the slot's version as shown: a count is a retry only while the slot is as the clerk saw it
  // Another store's article, shown before an operator opened this one, is not this store's.
  document.getElementById("stock-slot").hidden = true;
  find.reset();
  const show = slot => {
    sku = slot.sku;
    version = slot.version;
    document.getElementById("stock-sku").textContent = slot.sku;
    for (const [id, value] of [["on-hand", slot.onHand], ["held", slot.held], ["allocated", slot.allocated], ["available", slot.available]]) {
      document.getElementById(id).textContent = value;
    }
    document.getElementById("stock-slot").hidden = false;
  };
  const path = () => `/api/v1/stock/${encodeURIComponent(store)}/${encodeURIComponent(sku)}`;
  find.onsubmit = event => {
    event.preventDefault();
    act(find.querySelector("button"), async () => {
      document.getElementById("stock-slot").hidden = true;
      sku = find.elements.sku.value.trim();
      let slot;
      try {
        slot = await api("GET", path());
      } catch (error) {
        if (!(error instanceof ApiProblem && error.status === 404)) {
          throw error;
        }
        // Never stocked here: nothing on hand yet, and the first count is the clerk's (the engine answers an article it
        // does not know with its own 404).
        slot = { sku, onHand: 0, held: 0, allocated: 0, available: 0, version: 0 };
      }
      show(slot);
    });
  };
  count.onsubmit = event => {
    event.preventDefault();
    act(count.querySelector("button"), async () => {
      const onHand = Number(count.elements.onHand.value);
      // The count on the slot as shown: sent again after a lost answer, it is the same count. Once the slot changed
      // (another count stored, or the clerk looked again and saw the engine took it), the same number is a new count: a
      // recount of 8 after a count of 9 is stored, not answered as the first 8.
      const key = JSON.stringify([sku, version, onHand]);
      if (!pending.has(key)) {
        pending.set(key, newEventId());
      }
      show(await api("PUT", path(), { onHand, countId: pending.get(key) }));
      pending.delete(key);
      count.reset();
      showDone(`${sku}: ${onHand} on hand recorded.`);
    });
  };
}
