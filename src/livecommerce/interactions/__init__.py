"""Room interactions: flash sales, verifiable lotteries and the Q&A board."""
