// Throws an exception nobody catches: std::terminate prints what() and aborts.
#include <stdexcept>
int main() { throw std::runtime_error("iguazu uncaught exception"); }
