// The lines a location works on (the store page and the partner portal): its open orders' units at that location,
// each with the fulfilment events that may follow it. The engine decides; the buttons follow its rules
// (OrderRules.Allows) so a location is offered only what it may report, and a refusal shows the engine's reason.
import { api, el, act, signIn, showDone, newEventId, dateTime, listAll, lookUp, refreshEvery } from "./dom.js";

const notStarted = ["allocated", "accepted", "picked", "packed"];
// An order held for review is not released to its locations yet: the engine refuses every event on it, and only an
// operator's list shows it.
const held = "heldForReview";

/** Whether the engine takes <c>type</c> from <c>location</c> for <c>allocation</c> of an order with <c>delivery</c>:
 * OrderRules.Allows as it is, every step included (a step reported after a later one is taken and changes nothing). */
export function allows(type, allocation, delivery, location) {
  const own = allocation.locationId === location;
  const pickup = delivery.method === "pickup";
  const byStore = pickup && delivery.pickupLocationId === location;
  const transfer = pickup && allocation.locationId !== delivery.pickupLocationId;
  const shippable = notStarted.includes(allocation.status) || (allocation.status === "shipped" && allocation.shipped < allocation.quantity);
  switch (type) {
    case "accepted":
    case "picked":
    case "packed":
      return own && notStarted.includes(allocation.status);
    case "rejected":
      return own && shippable;
    case "shipped":
      return own && (!pickup || transfer) && shippable;
    case "readyForPickup":
      return byStore && (transfer ? allocation.status === "shipped" && allocation.shipped === allocation.quantity : notStarted.includes(allocation.status));
    case "pickedUp":
      return byStore && allocation.status === "readyForPickup";
    case "delivered":
      return own && !pickup && allocation.status === "shipped" && allocation.delivered < allocation.shipped;
    default:
      return false;
  }
}

/** The events <c>location</c> may report about <c>allocation</c> of an order with <c>delivery</c>, in working order: those
 * the engine allows, the steps only forward. The pages offer no delivery report. */
export function allowedEvents(allocation, delivery, location) {
  return ["accepted", "picked", "packed", "shipped", "readyForPickup", "pickedUp", "rejected"]
    .filter(type => allows(type, allocation, delivery, location))
    .filter(type => !notStarted.includes(type) || notStarted.indexOf(type) > notStarted.indexOf(allocation.status));
}

/**
 * The index of the allocation of <c>line</c> the engine applies <c>type</c> from <c>location</c> to (OrderGrain.ReportAsync):
 * an event names no allocation, so it goes to the first of the location's own units it may follow, else to the first
 * sent to it (the pickup store). A line at a location twice, or a pickup store's own units and units sent to it from
 * elsewhere, take such an event in that order: a row offers only what would change its own units.
 */
export function engineTarget(line, type, delivery, location) {
  const fits = a => a.status !== "rejected" && a.status !== "cancelled" && allows(type, a, delivery, location);
  const own = line.allocations.findIndex(a => a.locationId === location && fits(a));
  return own >= 0 ? own : line.allocations.findIndex(fits);
}

/**
 * Signs a location's page in (the store page, the partner portal): a key of <c>role</c> opens its own location; an
 * operator names one, which is looked up first (a typo leaves the page as it was). <c>open(locationId)</c> shows it.
 */
export function signInAtLocation(role, open) {
  signIn([role, "operator"], caller => {
    if (caller.role === role) {
      return open(caller.scope);
    }
    const pick = document.getElementById("location-pick");
    pick.hidden = false;
    // Set, not added: a sign-in done again (after a failed first load) does not open the location twice.
    pick.onsubmit = event => {
      event.preventDefault();
      const location = pick.elements.location.value.trim();
      act(pick.querySelector("button"), async () => {
        await api("GET", `/api/v1/locations/${encodeURIComponent(location)}`);
        await open(location);
      });
    };
  });
}

/**
 * Calls <c>refresh</c> every few seconds (dom.js refreshEvery), so new lines come in without a click: not while the
 * clerk has a form open in <c>table</c>. Opening another location replaces the timer.
 */
export function autoRefresh(table, refresh) {
  refreshEvery(() => table.querySelector(".inline-form:not([hidden])") !== null, refresh);
}

const labels = {
  accepted: "Confirm", picked: "Picked", packed: "Packed", shipped: "Ship…",
  readyForPickup: "Ready for pickup", pickedUp: "Picked up", rejected: "Reject…",
};

/**
 * Renders the lines of <c>location</c> into <c>table</c> (a tbody's parent) and keeps them current after each event.
 * <c>events</c> limits the buttons offered (the partner portal has no pickup).
 */
export function lineBoard(table, location, events) {
  const pending = new Map(); // action key (the action and the allocation it was on) → event id, until the engine took it
  let lastDrawn = null;

  async function load() {
    // Every open order at the location, page by page (a busy store has more than a page of them; the oldest, most
    // pressing ones are on the last page).
    const open = await listAll(`locationId=${encodeURIComponent(location)}&open=true&limit=100`);
    const orders = await lookUp(open.filter(o => o.status !== held).map(o => o.orderId));
    // Drawn again only when something changed: a refresh that finds the same lines leaves the rows (and a clerk's
    // place in them) alone.
    const drawn = JSON.stringify(orders);
    if (drawn !== lastDrawn) {
      lastDrawn = drawn;
      render(orders);
    }
    return orders;
  }

  function render(orders) {
    const rows = [];
    for (const order of orders) {
      for (const line of order.lines) {
        line.allocations.forEach((allocation, index) => {
          const allowed = allowedEvents(allocation, order.delivery, location)
            .filter(e => events.includes(e) && engineTarget(line, e, order.delivery, location) === index);
          if (allowed.length === 0) {
            return;
          }
          rows.push(row(order, line, allocation, index, allowed));
        });
      }
    }
    const body = table.querySelector("tbody");
    body.replaceChildren(...rows);
    table.querySelector("caption").textContent = rows.length ? `${rows.length} line(s) to work on` : "Nothing to work on.";
  }

  function row(order, line, allocation, index, allowed) {
    const delivery = order.delivery.method === "pickup" ? `pickup at ${order.delivery.pickupLocationId}` : `ship to ${order.delivery.address.country}`;
    const status = allocation.status === "shipped" ? `shipped ${allocation.shipped} of ${allocation.quantity}` : allocation.status;
    const form = el("div", { class: "inline-form", hidden: true });
    const tr = el("tr", { "data-order": order.orderId, "data-line": line.lineId, "data-location": allocation.locationId },
      el("td", {}, order.orderId, order.late ? el("span", { class: "badge late" }, "late") : ""),
      el("td", {}, line.lineId),
      el("td", {}, line.sku),
      el("td", { class: "number" }, allocation.quantity),
      el("td", { class: "status" }, status, allocation.locationId !== location ? ` (from ${allocation.locationId})` : ""),
      el("td", {}, delivery),
      // Units waiting for their customer: the last day they may collect them, after which they go back on the shelf.
      el("td", {}, allocation.status === "readyForPickup" && order.collectBy ? `collect by ${order.collectBy}` : dateTime(order.promisedBy)),
      el("td", { class: "actions" },
        allowed.map(type => el("button", {
          type: "button", "data-event": type,
          onclick: e => type === "shipped" || type === "rejected" ? openForm(form, order, line, allocation, index, type) : act(e.currentTarget, () => report(order, line, allocation, index, type, {})),
        }, labels[type])),
        form));
    return tr;
  }

  function openForm(form, order, line, allocation, index, type) {
    const remaining = allocation.quantity - allocation.shipped;
    const fields = type === "shipped"
      ? [
          el("label", {}, "Carrier ", el("input", { name: "carrier", required: true, maxlength: 100 })),
          el("label", {}, "Tracking number ", el("input", { name: "trackingNumber", required: true, maxlength: 100 })),
          el("label", {}, "Units ", el("input", { name: "quantity", type: "number", min: 1, max: remaining, value: remaining, required: true })),
        ]
      : [el("label", {}, "Units not there ", el("input", { name: "quantity", type: "number", min: 1, max: remaining, value: remaining, required: true }))];
    const submit = el("button", { type: "submit" }, type === "shipped" ? "Ship" : "Reject");
    const cancel = el("button", { type: "button", onclick: () => { form.hidden = true; } }, "Back");
    const inner = el("form", { "data-form": type }, fields, submit, cancel);
    inner.addEventListener("submit", event => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(inner));
      const extra = { quantity: Number(values.quantity) };
      if (type === "shipped") {
        extra.carrier = values.carrier.trim();
        extra.trackingNumber = values.trackingNumber.trim();
      }
      act(submit, () => report(order, line, allocation, index, type, extra));
    });
    form.replaceChildren(inner);
    form.hidden = false;
    inner.querySelector("input").focus();
  }

  async function report(order, line, allocation, index, type, extra) {
    // The action on the units as the clerk saw them: sent again after a lost answer, it repeats the event. Once those
    // units changed (the engine took the event, as the row shows after a refresh), the same action is a new one: a
    // second "1 unit not there" after a first is not the first again.
    const key = JSON.stringify([order.orderId, line.lineId, index, allocation, type, extra]);
    if (!pending.has(key)) {
      pending.set(key, newEventId());
    }
    await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/lines/${encodeURIComponent(line.lineId)}/events`,
      { eventId: pending.get(key), locationId: location, type, ...extra });
    pending.delete(key);
    showDone(`${order.orderId} / ${line.lineId}: ${labels[type].replace("…", "")} recorded.`);
    await load();
  }

  return { load };
}
