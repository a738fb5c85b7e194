// A sample for trying Rationale in JavaScript: change `total` or `addItem` below, wait a second,
// then press `gra` (or :lua vim.lsp.buf.code_action()) and explain the change.

function total(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

class Cart {
  constructor() {
    this.items = [];
  }

  addItem(name, price, quantity = 1) {
    this.items.push({ name, price, quantity });
  }

  total() {
    return total(this.items);
  }
}

const formatPrice = (cents) => `$${(cents / 100).toFixed(2)}`;

module.exports = { Cart, total, formatPrice };
