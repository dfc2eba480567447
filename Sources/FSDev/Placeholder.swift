// FSDev
