# A sample for trying Rationale. Change `greet` below (make it say "Hi"), stop typing for a
# second, and a prompt appears on its name. Press `gra` (or :lua vim.lsp.buf.code_action())
# and pick "Explain the change to `greet`…": say why, press Enter, and the pair is in the
# journal in .rationale/sessions/.


def greet(name):
    """Return a greeting for `name`."""
    return f"Hello, {name}!"


class Guestbook:
    """Remembers who was greeted."""

    def __init__(self):
        self.names = []

    def sign(self, name):
        self.names.append(name)
        return greet(name)

    def count(self):
        return len(self.names)


if __name__ == "__main__":
    book = Guestbook()
    print(book.sign("Ada"))
