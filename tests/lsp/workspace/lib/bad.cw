def Bad(x) {
  a: x

def Good(x) = x
