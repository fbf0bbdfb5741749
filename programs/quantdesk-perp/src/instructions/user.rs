use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
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
    user.order_nonces = [0; ORDER_NONCE_WINDOW];
    Ok(())
}

/// Order nonces cancelled at once, at most.
pub const MAX_CANCELLED_NONCES: usize = 16;

#[derive(Accounts)]
pub struct CancelOrderNonces<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ ErrorCode::Unauthorized, seeds = [USER_SEED, authority.key().as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump)]
    pub user: Account<'info, User>,
}

/// The wallet itself makes orders it signed unfillable: each nonce is marked used, so no keeper, however
/// it behaves, can fill a cancelled order. A nonce already used, or too old to fill, is left as it is.
pub fn handle_cancel_order_nonces(ctx: Context<CancelOrderNonces>, nonces: Vec<u64>) -> Result<()> {
    validate!(
        !nonces.is_empty() && nonces.len() <= MAX_CANCELLED_NONCES,
        ErrorCode::InvalidNonceList
    );
    let user = &mut ctx.accounts.user;
    for nonce in nonces {
        if user.order_nonce_usable(nonce) {
            user.use_order_nonce(nonce)?;
        }
    }
    Ok(())
}
