// FSDevAIO
