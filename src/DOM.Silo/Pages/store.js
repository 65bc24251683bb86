// The store page: today's capacity (set a new limit when staff come or go), the store's stock, returns taken at the
// counter or sent in, and the lines to pick, reject, ship or hand over. A store key opens its own store; an operator
// names one.
import { api, act, el, refundText, showDone, showProblem, newEventId, listAll, lookUp, ApiProblem } from "./dom.js";
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
  returns(store);
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

/** Returns at the store: goods a customer brings to the counter are registered and received in one go (the engine
 * restocks or writes them off and refunds them); the returns on their way to the store are listed, each received by its
 * lines or cancelled (one registered by mistake); a parcel's order can also be looked up by its id. A counter return
 * keeps its id until the engine took both steps, so a click after a lost answer registers and receives it once. */
/** The store whose returns the page shows: an answer for another one (an operator opened this one meanwhile) is dropped. */
let returnsOf = null;

function returns(store) {
  returnsOf = store;
  const take = document.getElementById("return-take");
  const find = document.getElementById("return-find");
  const list = document.getElementById("return-list");
  const coming = document.getElementById("returns-coming");
  const pending = new Map();
  let shown = null; // the order looked up by its id, shown below the form
  take.reset();
  find.reset();
  list.replaceChildren();
  coming.replaceChildren();
  const base = orderId => `/api/v1/orders/${encodeURIComponent(orderId)}/returns`;
  take.onsubmit = event => {
    event.preventDefault();
    act(take.querySelector("button"), async () => {
      const f = take.elements;
      const [orderId, sku, quantity, reason, condition] = [f.orderId.value.trim(), f.sku.value.trim(), Number(f.quantity.value), f.reason.value.trim(), f.condition.value];
      const key = JSON.stringify([orderId, sku, quantity, reason, condition]);
      if (!pending.has(key)) {
        pending.set(key, newEventId());
      }
      const returnId = pending.get(key);
      const announced = await api("POST", base(orderId), { returnId, locationId: store, lines: [{ sku, quantity, reason }] });
      const registered = announced.returns.find(r => r.returnId === returnId);
      if (registered.status === "cancelled") {
        // Cancelled since the first click (from the list below, or by the channel): the next click registers a new one.
        pending.delete(key);
        throw new ApiProblem(422, { title: "The return was cancelled meanwhile.", detail: `${orderId}: take the goods back again to register a new return.` });
      }
      const order = await api("POST", `${base(orderId)}/${encodeURIComponent(returnId)}/receive`, { lines: [{ lineId: registered.lines[0].lineId, [condition]: quantity }] });
      pending.delete(key);
      take.reset();
      showDone(`${orderId}: ${quantity} × ${sku} taken back${condition === "restock" ? " onto the shelf" : " and written off"}; refund ${refundText(order.returns.find(r => r.returnId === returnId), order.currency)}.`);
      show(order);
      // Registered by an earlier click whose answer was lost, the return may be listed on its way here: it is not any more.
      await loadComing();
    });
  };
  find.onsubmit = event => {
    event.preventDefault();
    act(find.querySelector("button"), async () => {
      list.replaceChildren();
      show(await api("GET", `/api/v1/orders/${encodeURIComponent(find.elements.orderId.value.trim())}`));
    });
  };
  const refresh = document.getElementById("returns-refresh");
  refresh.onclick = () => act(refresh, loadComing);
  loadComing().catch(showProblem);

  /** The returns announced for this store, oldest order last (as the list reads), each to receive or cancel. A return
   * listed already keeps its row: what a clerk typed into its form is not set back when another one was received. */
  async function loadComing() {
    const orders = await lookUp((await listAll(`returnsAt=${encodeURIComponent(store)}&limit=500`)).map(o => o.orderId));
    if (returnsOf !== store) {
      return;
    }
    const items = orders.flatMap(order => order.returns.filter(r => r.locationId === store && r.status === "announced").map(r => kept(coming, order, r)));
    coming.replaceChildren(...(items.length ? items : [el("li", {}, "None.")]));
  }

  /** The order looked up: its returns at this store, as they ended or to receive (one still announced keeps its row,
   * and what the clerk typed in it, when another is received). */
  function show(order) {
    const items = order.returns.filter(r => r.locationId === store).map(r => shown === order.orderId ? kept(list, order, r) : item(order, r));
    shown = order.orderId;
    list.replaceChildren(el("h3", {}, `Returns of ${order.orderId} at this store`), items.length ? el("ul", {}, ...items) : el("p", {}, "None."));
  }

  /** The row of return <c>r</c> of <c>order</c>: the one drawn in <c>container</c> while the return is still announced
   * (its form as the clerk left it), else a new one. */
  function kept(container, order, r) {
    const drawn = r.status === "announced"
      ? [...container.querySelectorAll("li[data-order]")].find(li => li.dataset.order === order.orderId && li.dataset.return === r.returnId)
      : undefined;
    return drawn ?? item(order, r);
  }

  /** After a return changed: the list of those coming, and the order looked up if it is that one. */
  async function changed(order) {
    if (shown === order.orderId) {
      show(order);
    }
    await loadComing();
  }

  /** A return of <c>order</c>: announced ones with a form to receive them line by line and a button to cancel them. */
  function item(order, r) {
    const units = r.lines.map(l => `${l.quantity} × ${l.sku} (${l.reason})`).join(", ");
    const sum = key => r.lines.reduce((n, l) => n + l[key], 0);
    if (r.status !== "announced") {
      return el("li", { "data-return": r.returnId }, `${order.orderId} · ${r.returnId}: ${units}, ${r.status}`,
        r.status === "received" ? `: ${sum("restocked")} restocked, ${sum("writtenOff")} written off, refund ${refundText(r, order.currency)}` : "");
    }
    const path = `${base(order.orderId)}/${encodeURIComponent(r.returnId)}`;
    const form = el("form", { class: "receive" }, ...r.lines.flatMap(l => [
      el("label", {}, `${l.sku}: back on the shelf `, el("input", { name: `restock-${l.lineId}`, type: "number", min: 0, max: l.quantity, value: l.quantity, required: true })),
      el("label", {}, " written off ", el("input", { name: `writeOff-${l.lineId}`, type: "number", min: 0, max: l.quantity, value: 0, required: true })),
    ]), el("button", { type: "submit" }, "Receive"), " ",
    el("button", { type: "button", "data-command": "cancel", onclick: event => act(event.currentTarget, async () => {
      const answer = await api("POST", `${path}/cancel`);
      showDone(`${order.orderId}: return ${r.returnId} cancelled.`);
      await changed(answer);
    }) }, "Cancel return"));
    form.onsubmit = event => {
      event.preventDefault();
      act(form.querySelector("button[type=submit]"), async () => {
        const lines = r.lines.map(l => ({ lineId: l.lineId, restock: Number(form.elements[`restock-${l.lineId}`].value), writeOff: Number(form.elements[`writeOff-${l.lineId}`].value) }))
          .filter(l => l.restock + l.writeOff > 0);
        const received = await api("POST", `${path}/receive`, { lines });
        showDone(`${order.orderId}: return ${r.returnId} received; refund ${refundText(received.returns.find(x => x.returnId === r.returnId), received.currency)}.`);
        await changed(received);
      });
    };
    return el("li", { "data-order": order.orderId, "data-return": r.returnId }, `${order.orderId} · ${r.returnId}: ${units}, announced `, form);
  }
}
