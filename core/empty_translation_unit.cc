// Placeholder source for libraries whose code has not landed yet (see strads_library).
