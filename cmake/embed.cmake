# Turns a text file into a NUL-terminated C array: -DIN=file -DOUT=file.c -DNAME=symbol
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" hex "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n"
  "extern const char ${NAME}[];\n"
  "const char ${NAME}[] = {\n${hex}0x00 };\n")
