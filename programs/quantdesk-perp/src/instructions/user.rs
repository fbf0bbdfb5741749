use anchor_lang::prelude::*;

use crate::state::*;

#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct InitUser<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        init, payer = authority, space = 8 + User::INIT_SPACE,
        seeds = [USER_SEED, authority.key().as_ref(), &sub_account_id.to_le_bytes()], bump,
    )]
    pub user: Account<'info, User>,
    pub system_program: Program<'info, System>,
}

pub fn handle_init_user(ctx: Context<InitUser>, sub_account_id: u16) -> Result<()> {
    let user = &mut ctx.accounts.user;
    user.authority = ctx.accounts.authority.key();
    user.sub_account_id = sub_account_id;
    user.collateral = 0;
    user.last_order_nonce = 0;
    user.positions = [PerpPosition::default(); MAX_POSITIONS];
    user.bump = ctx.bumps.user;
    user.liquidation_seq = 0;
    user.being_liquidated = false;
    user.liquidation_steps = 0;
    user.episode_steps = 0;
    Ok(())
}
