//! Small documents the protocol tests open, shared so that tests about one product rule read
//! the same code: a Python class with two methods and a function, and a JavaScript function with
//! an object of methods.

pub const APP: &str = "\
class Session:
    def request(self, url):
        return self.send(url)

    def send(self, url):
        return url


def helper():
    return 1
";

pub const UI: &str = "\
function render(items) {
  return items.length;
}

const api = {
  load() { return fetch('/a'); },
};
";
